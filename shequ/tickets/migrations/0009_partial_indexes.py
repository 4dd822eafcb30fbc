import django.db.models.deletion
import shequ.tickets.clock
from django.conf import settings
from django.db import migrations, models


# Django's own single-column indexes of the fields altered below: dropped by name, as 0007
# and 0008 do, so that SQLite does not copy the tables to alter the fields.
DROPPED = [
    "tickets_assignment_unit_id_cc12a4e3",
    "tickets_ticket_building_id_d34e80ca",
    "tickets_ticket_first_accepted_unit_id_8bc6f4a7",
    "tickets_ticket_merged_into_id_3a36ad40",
    "tickets_ticketevent_actor_id_2a65fff2",
    "tickets_ticketevent_at_daa536ac",
    "tickets_ticketevent_unit_id_857f34f3",
]


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0001_initial"),
        ("tickets", "0008_list_indexes_end_with_id"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    # An index on a column that most rows leave empty is a write on every intake for nothing:
    # partial indexes hold only the rows that have a value; the events' time and the
    # dispatches' unit (served by (unit, at)) lose theirs.
    operations = [
        migrations.RemoveIndex(
            model_name="ticket",
            name="ticket_device_recent",
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="assignment",
                    name="unit",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="assignments",
                        to="tickets.responsibleunit",
                        verbose_name="承办单位",
                    ),
                ),
                migrations.AlterField(
                    model_name="ticket",
                    name="building",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="tickets",
                        to="registry.building",
                        verbose_name="楼栋",
                    ),
                ),
                migrations.AlterField(
                    model_name="ticket",
                    name="first_accepted_unit",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="first_accepted_tickets",
                        to="tickets.responsibleunit",
                        verbose_name="首问单位",
                    ),
                ),
                migrations.AlterField(
                    model_name="ticket",
                    name="merged_into",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="merged",
                        to="tickets.ticket",
                        verbose_name="合并至",
                    ),
                ),
                migrations.AlterField(
                    model_name="ticketevent",
                    name="actor",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="操作人",
                    ),
                ),
                migrations.AlterField(
                    model_name="ticketevent",
                    name="at",
                    field=models.DateTimeField(
                        default=shequ.tickets.clock.now, verbose_name="时间"
                    ),
                ),
                migrations.AlterField(
                    model_name="ticketevent",
                    name="unit",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="tickets.responsibleunit",
                        verbose_name="承办单位",
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
            index=models.Index(
                condition=models.Q(("building__isnull", False)),
                fields=["building"],
                name="ticket_building",
            ),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                condition=models.Q(("first_accepted_unit__isnull", False)),
                fields=["first_accepted_unit"],
                name="ticket_first_accepted",
            ),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                condition=models.Q(("merged_into__isnull", False)),
                fields=["merged_into"],
                name="ticket_merged_into",
            ),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                condition=models.Q(("device_token", ""), _negated=True),
                fields=["device_token", "created_at"],
                name="ticket_device_recent",
            ),
        ),
        migrations.AddIndex(
            model_name="ticketevent",
            index=models.Index(
                condition=models.Q(("actor__isnull", False)), fields=["actor"], name="event_actor"
            ),
        ),
        migrations.AddIndex(
            model_name="ticketevent",
            index=models.Index(
                condition=models.Q(("unit__isnull", False)), fields=["unit"], name="event_unit"
            ),
        ),
    ]
