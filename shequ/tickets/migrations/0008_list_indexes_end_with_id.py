from django.db import migrations, models

import shequ.tickets.clock

# The single-column indexes Django made for created_at and due_at (db_index=True): dropped by
# name, as 0007 does, so that SQLite does not copy the ticket table to alter two fields.
DROPPED = ["tickets_ticket_created_at_95bb8d8e", "tickets_ticket_due_at_c037a0bd"]


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0007_fewer_ticket_indexes"),
    ]

    # Each list index ends with the id, as the lists' order does (newest first, then id):
    # PostgreSQL reads a page from the index alone instead of fetching and sorting rows.
    operations = [
        migrations.RemoveIndex(model_name="ticket", name="ticket_status_created"),
        migrations.RemoveIndex(model_name="ticket", name="ticket_category_created"),
        migrations.RemoveIndex(model_name="ticket", name="ticket_cat_status_created"),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="ticket",
                    name="created_at",
                    field=models.DateTimeField(
                        default=shequ.tickets.clock.now, verbose_name="受理时间"
                    ),
                ),
                migrations.AlterField(
                    model_name="ticket",
                    name="due_at",
                    field=models.DateTimeField(
                        blank=True, editable=False, null=True, verbose_name="当前时限"
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(f"DROP INDEX IF EXISTS {name}", migrations.RunSQL.noop)
                for name in DROPPED
            ],
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(fields=["created_at", "id"], name="ticket_created"),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(fields=["due_at", "id"], name="ticket_due"),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(fields=["status", "created_at", "id"], name="ticket_status_created"),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                fields=["category", "created_at", "id"], name="ticket_category_created"
            ),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                fields=["category", "status", "created_at", "id"],
                name="ticket_cat_status_created",
            ),
        ),
    ]
