"""Benchmark: the district's monthly visit rate for every unit and month.

    .venv/bin/python benchmarks/care_rate.py [--targets N] [--visits N] [--no-postgres]

Builds 20,000 care targets in 192 grids and a year of visits (300,000 rows) on a fresh SQLite
database, and on a fresh PostgreSQL database (127.0.0.1:5432, user postgres, or DATABASE_URL
when it names a PostgreSQL server; created and dropped again). Each backend runs in its own
process. For each of the 12 months it computes the rate of every grid, community, street and
the district with ``shequ.care.rates.rate_counts`` (one grouped query) plus the roll-up.

Absolute timings drift on a shared machine, so the same run times a baseline, a plain
``SELECT COUNT(*)`` over the visits table, and prints the ratio.

Target: under 1 s for one month for all units.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 1.0
YEAR = 2025
STREETS, COMMUNITIES, GRIDS = 6, 8, 4  # per parent: 6 streets, 48 communities, 192 grids


def _timed(fn, repeat: int = 1) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


# ---------------------------------------------------------------------------------------
# The child: Django set up on the scratch database
# ---------------------------------------------------------------------------------------


def _load(targets: int, visits: int) -> dict:
    """Units, persons, targets and visits in bulk; deterministic (seeded)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from shequ.care.models import CareTarget, Visit
    from shequ.registry.models import AdminUnit, Level, Person

    rng = random.Random(42)
    with transaction.atomic():
        district = AdminUnit.objects.create(code="220403", name="西安区", level=Level.DISTRICT)
        grids = []
        for s in range(1, STREETS + 1):
            street = AdminUnit.objects.create(
                code=f"220403{s:03d}", name=f"街道{s}", level=Level.STREET, parent=district
            )
            for c in range(1, COMMUNITIES + 1):
                community = AdminUnit.objects.create(
                    code=f"{street.code}{c:03d}",
                    name=f"社区{s}-{c}",
                    level=Level.COMMUNITY,
                    parent=street,
                )
                grids += AdminUnit.objects.bulk_create(
                    [
                        AdminUnit(
                            code=f"{community.code}{g:03d}",
                            name=f"网格{s}-{c}-{g}",
                            level=Level.GRID,
                            parent=community,
                        )
                        for g in range(1, GRIDS + 1)
                    ]
                )
        persons = Person.objects.bulk_create(
            [
                Person(
                    name=f"居民{i}",
                    sex="F",
                    birth_date=date(1935 + i % 25, 1 + i % 12, 1),
                    id_number_enc="x",
                    id_number_hash=f"h{i:08d}",
                    id_number_mask="*",
                    unit=grids[i % len(grids)],
                )
                for i in range(targets)
            ],
            batch_size=5000,
        )
        year_start, year_end = date(YEAR, 1, 1), date(YEAR, 12, 31)
        rows = []
        for i, person in enumerate(persons):
            roll = rng.random()
            started = date(YEAR - 1, 6, 1)
            ended = None
            if roll < 0.05:  # arrived during the year
                started = year_start + timedelta(days=rng.randrange(365))
            elif roll < 0.10:  # left during the year
                ended = year_start + timedelta(days=rng.randrange(1, 365))
            rows.append(
                CareTarget(
                    person=person,
                    unit_id=person.unit_id,
                    started_on=started,
                    ended_on=ended,
                    end_reason="deceased" if ended else "",
                    care_class="special_elderly" if i % 10 else "elderly_alone",
                )
            )
        CareTarget.objects.bulk_create(rows, batch_size=5000)
        targets_rows = list(
            CareTarget.objects.values_list("pk", "person_id", "started_on", "ended_on")
        )
        batch = []
        per_target = visits / len(targets_rows)
        made = 0
        for pk, person_id, started, ended in targets_rows:
            first = max(started, year_start)
            last = min(ended - timedelta(days=1), year_end) if ended else year_end
            if last < first:
                continue
            span = (last - first).days + 1
            n = int(per_target * span / 365 + rng.random())
            for _ in range(n):
                day = first + timedelta(days=rng.randrange(span))
                batch.append(
                    Visit(
                        target_id=pk,
                        person_id=person_id,
                        visited_on=day,
                        visited_at=timezone.make_aware(datetime(day.year, day.month, day.day, 10)),
                        method="home" if rng.random() < 0.9 else "phone",
                    )
                )
            if len(batch) >= 20000:
                Visit.objects.bulk_create(batch)
                made += len(batch)
                batch = []
        Visit.objects.bulk_create(batch)
        made += len(batch)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"targets": len(targets_rows), "visits": made, "grids": len(grids)}


def child(targets: int, visits: int, label: str) -> dict:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from shequ.care import rates
    from shequ.care.models import Visit
    from shequ.care.policies import PolicyBook

    call_command("migrate", verbosity=0)
    load_seconds, sizes = _timed(lambda: _load(targets, visits))
    count_seconds, _ = _timed(lambda: Visit.objects.count(), repeat=5)
    book = PolicyBook.load()
    months = []
    for month in range(1, 13):
        first = date(YEAR, month, 1)
        seconds, counts = _timed(
            lambda f=first: rates.roll_up(rates.rate_counts(f, book=book)), repeat=3
        )
        total, met = counts["220403"]
        months.append(
            {"month": month, "seconds": seconds, "units": len(counts), "targets": total, "met": met}
        )
    return {
        "backend": label,
        "vendor": connection.vendor,
        "server": ".".join(
            str(v)
            for v in (
                getattr(connection, "pg_version", None) and divmod(connection.pg_version, 10000)
            )
            or ()
        )
        or "",
        "load": load_seconds,
        "count": count_seconds,
        "months": months,
        **sizes,
    }


# ---------------------------------------------------------------------------------------
# The parent
# ---------------------------------------------------------------------------------------


def _run_child(args: argparse.Namespace, label: str, env: dict) -> dict:
    proc = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            label,
            "--targets",
            str(args.targets),
            "--visits",
            str(args.visits),
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"{label} run failed")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def report(out: dict) -> bool:
    times = [m["seconds"] for m in out["months"]]
    median, worst = statistics.median(times), max(times)
    print(
        f"\n== {out['backend']}: {out['targets']:,} targets, {out['visits']:,} visits, "
        f"{out['grids']} grids =="
    )
    print(f"  load (bulk insert + ANALYZE)        {out['load']:8.2f} s")
    print(f"  baseline SELECT COUNT(*) on visits  {out['count'] * 1000:8.1f} ms")
    for m in out["months"]:
        rate = m["met"] / m["targets"] if m["targets"] else 0
        print(
            f"  {YEAR}-{m['month']:02d}: {m['units']:3d} units  {m['seconds'] * 1000:7.1f} ms"
            f"  district {m['met']:,}/{m['targets']:,} = {rate:6.1%}"
            f"  ratio to COUNT(*) {m['seconds'] / out['count']:6.1f}"
        )
    print(
        f"  one month, all units: median {median * 1000:.1f} ms, worst {worst * 1000:.1f} ms;"
        f" twelve months {sum(times):.2f} s"
    )
    met = worst < TARGET_SECONDS
    print(
        f"  target < {TARGET_SECONDS:.0f} s per month for all units: {'met' if met else 'MISSED'}"
    )
    return met


def _postgres_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    return (
        url
        if url.startswith(("postgres://", "postgresql://"))
        else "postgres://postgres@127.0.0.1:5432/postgres"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--targets", type=int, default=20_000)
    parser.add_argument("--visits", type=int, default=300_000)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    if args.child:
        print(json.dumps(child(args.targets, args.visits, args.child)))
        return

    base_env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    base_env.update(
        DJANGO_SETTINGS_MODULE="shequ.settings",
        PYTHONPATH=str(ROOT),
        SHEQU_TASKS_BACKEND="django_tasks.backends.immediate.ImmediateBackend",
    )
    load = os.getloadavg()
    print(
        f"care_rate benchmark: {os.cpu_count()} CPUs, load average "
        f"{load[0]:.1f} {load[1]:.1f} {load[2]:.1f}"
    )
    ok = True
    with tempfile.TemporaryDirectory(prefix="shequ_bench_") as tmp:
        env = dict(base_env, SHEQU_VAR_DIR=tmp, DATABASE_URL=f"sqlite:///{tmp}/bench.sqlite3")
        ok &= report(_run_child(args, "SQLite", env))
    if not args.no_postgres:
        import psycopg

        server = urlsplit(_postgres_url())
        admin_url = urlunsplit(server._replace(path="/postgres"))
        name = f"shequ_care_bench_{os.getpid()}"
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        try:
            with tempfile.TemporaryDirectory(prefix="shequ_bench_") as tmp:
                env = dict(
                    base_env,
                    SHEQU_VAR_DIR=tmp,
                    DATABASE_URL=urlunsplit(server._replace(path=f"/{name}")),
                )
                ok &= report(_run_child(args, "PostgreSQL", env))
        finally:
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
