# The visit → 接诉即办 link, once the tickets app had its Ticket model.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('care', '0002_default_policies'),
        ('tickets', '0001_initial'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='visit',
            name='ticket_id',
        ),
        migrations.AddField(
            model_name='visit',
            name='ticket',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='care_visits', to='tickets.ticket', verbose_name='关联工单'),
        ),
    ]
