"""Pre-fill the holiday table from chinesecalendar for every year it knows from 2020."""

from django.db import migrations


def load(apps, schema_editor):
    from shequ.core.workdays import YearNotAnnounced, official_overrides

    CalendarDay = apps.get_model("tickets", "CalendarDay")
    rows = []
    year = 2020
    while True:
        try:
            days = official_overrides(year)
        except YearNotAnnounced:
            break
        rows += [CalendarDay(date=d, is_workday=working, name=name, source="official")
                 for d, (working, name) in days.items()]
        year += 1
    CalendarDay.objects.bulk_create(rows, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
