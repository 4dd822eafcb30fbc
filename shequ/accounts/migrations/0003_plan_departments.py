from django.db import migrations


def load(apps, schema_editor):
    from shequ.accounts.departments import PLAN_DEPARTMENTS

    Department = apps.get_model("accounts", "Department")
    for code, name, duties in PLAN_DEPARTMENTS:
        Department.objects.get_or_create(code=code, defaults={"name": name, "duties": duties})


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_user_department_user_scope_unit_and_more")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
