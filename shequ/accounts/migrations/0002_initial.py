from django.db import migrations


def load(apps, schema_editor):
    from shequ.accounts.departments import PLAN_DEPARTMENTS

    Department = apps.get_model("accounts", "Department")
    for code, name, duties in PLAN_DEPARTMENTS:
        Department.objects.get_or_create(code=code, defaults={"name": name, "duties": duties})


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
