"""The starting category catalogue drawn from the plan, routed to the plan's departments."""

from django.db import migrations


def load(apps, schema_editor):
    from shequ.tickets.catalogue import install

    install(apps.get_model)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0002_official_calendar"), ("accounts", "0003_plan_departments")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
