"""The default visit policies (专栏2 item 2: special-difficulty elderly at least monthly).

The data is written out here, not imported, so the migration never changes with the code.
"""

from django.db import migrations

ALL = list(range(1, 13))
DEFAULTS = [
    ("special_elderly", "每月入户探访", ALL, "month", 1, ["home"], True),
    ("special_elderly", "冬季每周探访", [11, 12, 1, 2, 3], "week", 1,
     ["home", "phone", "video"], False),
    ("severe_disability", "每月探访", ALL, "month", 1, ["home", "video"], True),
    ("elderly_alone", "每月探访", ALL, "month", 1, ["home", "phone", "video"], True),
    ("difficulty_child", "每月探访", ALL, "month", 1, ["home", "video"], True),
    ("left_behind_child", "每月探访", ALL, "month", 1, ["home", "phone", "video"], True),
]


def create(apps, schema_editor):
    VisitPolicy = apps.get_model("care", "VisitPolicy")
    if VisitPolicy.objects.exists():
        return
    VisitPolicy.objects.bulk_create([
        VisitPolicy(care_class=c, name=n, months=m, period=p, min_visits=v, methods=ms,
                    active=a)
        for c, n, m, p, v, ms, a in DEFAULTS
    ])


class Migration(migrations.Migration):
    dependencies = [("care", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
