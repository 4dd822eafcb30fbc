"""Benchmark: import 100,000 persons from an .xlsx through the service the import page uses.

    .venv/bin/python benchmarks/import_persons.py [--rows N] [--postgres]

Runs on a fresh SQLite database in a temporary directory and, when DATABASE_URL names a
PostgreSQL server or --postgres is given, also on a fresh PostgreSQL database (created and
dropped again; default server 127.0.0.1:5432, user postgres). Each backend runs in its own
process so that its peak memory is its own. The field key is generated for the run.

Absolute timings drift on a shared machine, so the same run also times a baseline, merely
reading the file with openpyxl's read-only mode and with our own reader, and prints the
ratios. Rates are given per wall-clock second (what a user waits) and per CPU second of the
import's processes: the one that imports and the worker processes it forks to check a large
file (less disturbed by other load on the machine than wall time).

Target: at least 10,000 rows a second (wall) on SQLite and a peak below 500 MB, counting
the resident memory of the worker processes too (their sum overstates it: a forked worker
shares most of its pages with the importing process).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
TARGET_RATE = 10_000
TARGET_MB = 500
REGION = "220403"
PERSONS_PER_HOUSEHOLD = 2.5


# ---------------------------------------------------------------------------------------
# Runs inside the child process, with Django set up on the chosen database
# ---------------------------------------------------------------------------------------


class PeakRSS:
    """Samples the resident set size of this process and of its children (the import's
    workers) in a thread; cheaper and less intrusive than tracemalloc, which slows
    allocation-heavy code several times over."""

    def __init__(self, interval: float = 0.02) -> None:
        import psutil

        self.process = psutil.Process()
        self.interval = interval
        self.start = self.peak = self.process.memory_info().rss
        self.peak_total = self.start  # this process and its children together
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        import psutil

        own = self.process.memory_info().rss
        children = 0
        for child in self.process.children(recursive=True):
            with contextlib.suppress(psutil.Error):  # exited between listing and reading
                children += child.memory_info().rss
        self.peak = max(self.peak, own)
        self.peak_total = max(self.peak_total, own + children)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def __enter__(self) -> PeakRSS:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()


def _cpu() -> tuple[float, float]:
    """CPU seconds (user + system) of this process and of its ended children."""
    t = os.times()
    return t.user + t.system, t.children_user + t.children_system


class Timer:
    """Wall time, CPU time of this process (``cpu``) and of the child processes that ended
    meanwhile (``cpu_children``: the import's workers, reaped when it returns)."""

    def __enter__(self) -> Timer:
        self.wall0 = time.perf_counter()
        self.cpu0, self.children0 = _cpu()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall0
        cpu, children = _cpu()
        self.cpu, self.cpu_children = cpu - self.cpu0, children - self.children0


def _setup_units_and_user():
    from shequ.accounts.models import Role, User
    from shequ.registry.models import AdminUnit, Level

    district = AdminUnit.objects.create(code=REGION, name="西安区", level=Level.DISTRICT)
    street = AdminUnit.objects.create(
        code=REGION + "001", name="太安街道", level=Level.STREET, parent=district
    )
    grids = []
    for c in range(1, 5):
        community = AdminUnit.objects.create(
            code=f"{street.code}{c:03d}", name=f"社区{c}", level=Level.COMMUNITY, parent=street
        )
        for g in range(1, 6):
            grids.append(
                AdminUnit.objects.create(
                    code=f"{community.code}{g:03d}",
                    name=f"社区{c}第{g}网格",
                    level=Level.GRID,
                    parent=community,
                )
            )
    admin = User.objects.create_user(
        "bench_admin", password="bench-pw-2026", role=Role.DISTRICT_ADMIN, scope_unit=district
    )
    return admin, [g.code for g in grids]


def _write_xlsx(path: Path, headers: list[str], rows) -> None:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(headers)
    for row in rows:
        ws.append(row)
    wb.save(path)


def _household_rows(n_households: int, grid_codes: list[str]):
    for h in range(n_households):
        yield [
            f"BH{h:07d}",
            grid_codes[h % len(grid_codes)],
            None,
            f"{h % 6 + 1}单元{h % 30 + 101}",
            f"泰安路{h // 60 + 1}号",
        ]


def _person_rows(n: int, n_households: int, grid_codes: list[str]):
    from shequ.core.idcard import make_id_number

    surnames = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
    given = "秀兰建国明华丽军伟芳敏静强磊洋艳勇杰娟涛超"
    first_day = date(1930, 1, 1)
    for i in range(n):
        # (day, seq) is unique for i < 3,000,000, hence so is the ID number.
        day, seq = (i * 7919) % 30_000, i // 30_000
        sex = "M" if i % 2 else "F"
        household = i % n_households
        tags = None
        grade = None
        if i % 10 == 0:
            tags = "独居"
        elif i % 20 == 1:
            tags, grade = "残疾,低保", 1 + i % 4
        yield [
            surnames[i % 20] + given[(i // 20) % 20] + given[(i // 400) % 20],
            make_id_number(REGION, first_day + timedelta(days=day), seq, sex),
            f"13{(i * 7) % 10}{i:08d}" if i % 3 else None,
            grid_codes[household % len(grid_codes)],
            f"BH{household:07d}",
            "户主" if i < n_households else "配偶",
            tags,
            grade,
        ]


def child(rows: int, label: str) -> dict:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from openpyxl import load_workbook

    from shequ.audit.models import AuditEntry
    from shequ.registry import excel, importing
    from shequ.registry.models import Household, Person, PersonTag, Residence
    from shequ.registry.pii import cipher

    call_command("migrate", verbosity=0)
    admin, grid_codes = _setup_units_and_user()
    workdir = Path(os.environ["SHEQU_VAR_DIR"])
    n_households = int(rows / PERSONS_PER_HOUSEHOLD)
    out: dict = {
        "backend": label,
        "rows": rows,
        "vendor": connection.vendor,
        "server": connection.Database.sqlite_version
        if connection.vendor == "sqlite"
        else connection.cursor().connection.info.server_version,
    }

    households_xlsx = workdir / "households.xlsx"
    _write_xlsx(
        households_xlsx, excel.HOUSEHOLDS.headers, _household_rows(n_households, grid_codes)
    )
    with Timer() as t:
        result = importing.import_workbook(
            "households", str(households_xlsx), actor=admin, file_name=households_xlsx.name
        )
    assert result.ok and result.created == n_households, result.errors[:5]
    out["households"] = {"rows": n_households, "wall": t.wall, "cpu": t.cpu}

    persons_xlsx = workdir / "persons.xlsx"
    with Timer() as t:
        _write_xlsx(
            persons_xlsx, excel.PERSONS.headers, _person_rows(rows, n_households, grid_codes)
        )
    out["write_xlsx"] = {"wall": t.wall, "cpu": t.cpu, "bytes": persons_xlsx.stat().st_size}

    # Baselines: reading the file and nothing else.
    with Timer() as t:
        wb = load_workbook(persons_xlsx, read_only=True, data_only=True)
        count = sum(1 for _ in wb.worksheets[0].iter_rows(values_only=True))
        wb.close()
    assert count == rows + 1
    out["openpyxl_read"] = {"wall": t.wall, "cpu": t.cpu}
    with Timer() as t:
        count = sum(1 for _ in excel.read_rows(str(persons_xlsx)))
    assert count == rows + 1
    out["reader"] = {"wall": t.wall, "cpu": t.cpu}

    checked: dict[str, float] = {}

    def progress(phase: str, done: int) -> None:
        if phase == "checked":
            checked.update(wall=time.perf_counter(), cpu=_cpu()[0])

    with PeakRSS() as memory, Timer() as t:
        result = importing.import_workbook(
            "persons",
            str(persons_xlsx),
            actor=admin,
            file_name=persons_xlsx.name,
            progress=progress,
        )
    assert result.ok, result.errors[:5]
    out["import"] = {
        "wall": t.wall,
        "cpu": t.cpu,
        "cpu_children": t.cpu_children,
        "rss_start": memory.start,
        "rss_peak": memory.peak,
        "rss_peak_total": memory.peak_total,
        # ru_maxrss is in KiB on Linux: the largest worker's peak.
        "rss_peak_child": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024,
        "check_wall": checked["wall"] - t.wall0,
        "check_cpu": checked["cpu"] - t.cpu0,
        "load": os.getloadavg()[0],
    }

    # The import did what it says: every row, encrypted, with its residence and one audit row.
    assert Person.objects.count() == rows
    assert Residence.objects.filter(ended_on__isnull=True).count() == rows
    assert PersonTag.objects.count() == rows // 10 + 2 * (rows // 20)
    assert AuditEntry.objects.filter(action="import").count() == 2
    person = Person.objects.order_by("?").first()
    clear = cipher().decrypt(person.id_number_enc)
    assert person.id_number_hash == cipher().blind_index(clear) and clear not in (
        person.id_number_enc,
        person.id_number_mask,
    )
    assert Household.objects.count() == n_households
    return out


# ---------------------------------------------------------------------------------------
# The parent: prepares each backend, runs the child, prints the figures
# ---------------------------------------------------------------------------------------


def _postgres_server_url(args: argparse.Namespace) -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        return url
    if args.postgres:
        return "postgres://postgres@127.0.0.1:5432/postgres"
    return None


def _run_child(rows: int, label: str, env: dict) -> dict:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", label, "--rows", str(rows)],
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


def _rate(rows: int, seconds: float) -> str:
    return f"{rows / seconds:>9,.0f} rows/s" if seconds else "-"


def report(out: dict) -> bool:
    rows = out["rows"]
    imp, base, reader = out["import"], out["openpyxl_read"], out["reader"]
    cpu = imp["cpu"] + imp["cpu_children"]
    peak_mb = imp["rss_peak_total"] / 2**20
    rate = rows / imp["wall"]
    print(f"\n== {out['backend']} ({out['vendor']} {out['server']}), {rows:,} persons ==")
    hh = out["households"]
    print(
        f"  households import ({hh['rows']:,} rows)  {hh['wall']:7.2f} s wall "
        f"{hh['cpu']:7.2f} s cpu  {_rate(hh['rows'], hh['wall'])}"
    )
    w = out["write_xlsx"]
    print(
        f"  write persons.xlsx (write-only)    {w['wall']:7.2f} s wall "
        f"{w['cpu']:7.2f} s cpu  ({w['bytes'] / 2**20:.1f} MB)"
    )
    print(
        f"  baseline: openpyxl read-only read  {base['wall']:7.2f} s wall "
        f"{base['cpu']:7.2f} s cpu  {_rate(rows, base['wall'])}"
    )
    print(
        f"  baseline: excel.read_rows alone    {reader['wall']:7.2f} s wall "
        f"{reader['cpu']:7.2f} s cpu  {_rate(rows, reader['wall'])}"
    )
    print(
        f"  import persons                     {imp['wall']:7.2f} s wall "
        f"{cpu:7.2f} s cpu  {_rate(rows, imp['wall'])}"
    )
    print(
        f"    cpu: importing process {imp['cpu']:.2f} s, worker processes "
        f"{imp['cpu_children']:.2f} s; {rows / cpu:,.0f} rows per cpu second"
    )
    print(
        f"    read + check (no writes)         {imp['check_wall']:7.2f} s wall "
        f"{imp['check_cpu']:7.2f} s cpu (importing process)"
    )
    print(
        f"    write (one transaction)          {imp['wall'] - imp['check_wall']:7.2f} s wall "
        f"{imp['cpu'] - imp['check_cpu']:7.2f} s cpu"
    )
    print(
        f"  ratio import / openpyxl read       {imp['wall'] / base['wall']:7.2f} wall "
        f"{cpu / base['cpu']:7.2f} cpu"
    )
    print(
        f"  ratio import / excel.read_rows     {imp['wall'] / reader['wall']:7.2f} wall "
        f"{cpu / reader['cpu']:7.2f} cpu"
    )
    print(
        f"  peak RSS: importing process {imp['rss_peak'] / 2**20:.0f} MB "
        f"(before: {imp['rss_start'] / 2**20:.0f} MB), largest worker "
        f"{imp['rss_peak_child'] / 2**20:.0f} MB, all together {peak_mb:.0f} MB"
    )
    print(f"  load average at the end: {imp['load']:.1f}")
    met = rate >= TARGET_RATE and peak_mb < TARGET_MB
    if out["vendor"] == "sqlite":
        print(
            f"  target ≥ {TARGET_RATE:,} rows/s wall and < {TARGET_MB} MB: "
            + ("MET" if met else "MISSED")
            + f" ({rate:,.0f} rows/s, {peak_mb:.0f} MB)"
        )
    return met


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--postgres", action="store_true", help="also run on PostgreSQL")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))

    if args.child:
        print(json.dumps(child(args.rows, args.child)))
        return

    from shequ.core.crypto import generate_key, key_to_text

    base_env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    base_env.update(
        DJANGO_SETTINGS_MODULE="shequ.settings",
        SHEQU_FIELD_KEY=key_to_text(generate_key()),
        SHEQU_TASKS_BACKEND="django_tasks.backends.immediate.ImmediateBackend",
        PYTHONPATH=str(ROOT),
    )
    load = os.getloadavg()
    print(
        f"import_persons benchmark: {args.rows:,} rows, {os.cpu_count()} CPUs, "
        f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}"
    )
    with tempfile.TemporaryDirectory(prefix="shequ_bench_") as tmp:
        env = dict(base_env, SHEQU_VAR_DIR=tmp, DATABASE_URL=f"sqlite:///{tmp}/bench.sqlite3")
        report(_run_child(args.rows, "SQLite", env))

    server = _postgres_server_url(args)
    if server:
        import psycopg

        name = f"shequ_bench_{os.getpid()}"
        parts = urlsplit(server)
        admin_url = urlunsplit(parts._replace(path="/postgres"))
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        try:
            with tempfile.TemporaryDirectory(prefix="shequ_bench_") as tmp:
                env = dict(
                    base_env,
                    SHEQU_VAR_DIR=tmp,
                    DATABASE_URL=urlunsplit(parts._replace(path=f"/{name}")),
                )
                report(_run_child(args.rows, "PostgreSQL", env))
        finally:
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print()


if __name__ == "__main__":
    main()
