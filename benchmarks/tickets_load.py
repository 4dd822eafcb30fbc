"""Benchmark: 接诉即办 intake and list under load, with 1,000,000 tickets in the database.

    .venv/bin/python benchmarks/tickets_load.py [--tickets 1000000] [--seconds 20]
        [--connections 8] [--backends sqlite,postgresql]

For each backend (a fresh SQLite file; a fresh PostgreSQL database on 127.0.0.1:5432, user
postgres, created and dropped again) it migrates, imports Xi'an District's real division codes,
bulk-loads the tickets (three years, every state, stored in the order they were filed),
starts gunicorn with 2 sync workers on 127.0.0.1 and drives it from a second process, ``wrk``
(Debian package), with a fixed number of connections for ``--seconds`` per endpoint:

- **bare insert** — a django-ninja endpoint that only validates a body and inserts one row:
  this stack's ceiling on this machine;
- **intake** — ``POST /api/tickets/public``, the full path: validation, idempotency check,
  classification of the text, routing, deadlines on the working-day calendar, the ticket,
  its events and dispatch ledger, the outbox rows after commit (every request a new resident
  and text, so nothing is deduplicated);
- **list** — ``GET /api/tickets`` as the district administrator (scope filter), 50 per page,
  filtered by state or category, pages 1–10.

It prints requests/s, p50 and p99 latency for each, and each figure's ratio to the bare
insert. Targets: intake ≥ 500 req/s with p99 < 100 ms; list ≥ 400 req/s with p99 < 100 ms;
and, since absolute figures drift on a shared machine and the ratios less, the same shares
of this run's bare insert as of the 1,400/s it did when the targets were set (36%, 29%).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
# The bare insert's rate on this machine when the targets were set (the issue: "about
# 1,400/s"); intake's 500/s is 36% of it, the list's 400/s 29%.
ISSUE_BARE = 1400

BENCH_SETTINGS = """
from shequ.settings import *  # noqa: F403

ROOT_URLCONF = "bench_urls"
ALLOWED_HOSTS = ["*"]
DEBUG = False
"""

# The ceiling: validate a body, insert one row, answer — nothing else.
BENCH_URLS = """
from django.urls import path
from ninja import NinjaAPI, Schema

from shequ.accounts.models import LoginAttempt
from shequ.urls import urlpatterns as project

bare = NinjaAPI(urls_namespace="bench", auth=None, docs_url=None)


class In(Schema):
    username: str
    address: str


@bare.post("/insert")
def insert(request, payload: In):
    LoginAttempt.objects.create(username=payload.username, address=payload.address)
    return {"ok": True}


urlpatterns = [path("bench/", bare.urls), *project]
"""

LUA_COMMON = """
local tid = 0
local threads = {}
function setup(thread)
  tid = tid + 1
  thread:set("tid", tid)
end
"""

# Every request a new resident (phone) and a new text: the full intake path, never a repeat.
LUA_INTAKE = (
    LUA_COMMON
    + """
local counter = 0
local units = {UNITS}
local texts = {
  "家里暖气不热，暖气片冰凉，供暖温度不达标，采暖费白交了",
  "小区电梯坏了一周，物业不修，老人上下楼很困难",
  "楼道里有人给电动车充电，私拉电线，消防通道被堵",
  "路口井盖破损，晚上很危险，请尽快维修",
}
function request()
  counter = counter + 1
  local n = ({ROUND} * 10 + tid) * 1000000 + counter
  local body = string.format('{"text":"%s（编号%d）","phone":"139%08d",' ..
    '"name":"测试","unit_code":"%s"}',
    texts[(counter % #texts) + 1], n, n % 100000000, units[(counter % #units) + 1])
  -- A phone app sends a key per submission (the idempotency check looks it up first).
  return wrk.format("POST", "/api/tickets/public", {["Content-Type"] = "application/json",
    ["Idempotency-Key"] = string.format("k-%d", n)}, body)
end
"""
)

LUA_LIST = (
    LUA_COMMON
    + """
local counter = 0
local filters = {"status=dispatched", "status=accepted", "status=closed", "category=heating",
                 "category=property", "status=closed&category=sanitation", "overdue=true"}
function request()
  counter = counter + 1
  local path = string.format("/api/tickets?%s&page=%d&page_size=50",
    filters[(counter % #filters) + 1], (counter % 10) + 1)
  return wrk.format("GET", path, {["Cookie"] = "sessionid={SESSION}"})
end
"""
)

LUA_BARE = (
    LUA_COMMON
    + """
local counter = 0
function request()
  counter = counter + 1
  local body = string.format('{"username":"u%d-%d","address":"127.0.0.1"}', tid, counter)
  return wrk.format("POST", "/bench/insert", {["Content-Type"] = "application/json"}, body)
end
"""
)


# ----------------------------------------------------------------- seeding (child)


def seed(n_tickets: int, out: Path) -> None:
    """In a child process configured for the scratch database: units, users, tickets."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test import Client

    from shequ.accounts.models import Role, User
    from shequ.registry.models import AdminUnit, Level
    from shequ.tickets.models import Category, ResponsibleUnit, Ticket, next_due
    from shequ.tickets.routing import unit_for_admin

    call_command(
        "import_divisions",
        str(ROOT / "shequ/registry/data/liaoyuan_2023.csv"),
        verbosity=0,
        stdout=io.StringIO(),
    )
    district = AdminUnit.objects.get(code="220403")
    admin = User.objects.create_user(
        "bench-admin", password="bench-pass-2026", role=Role.DISTRICT_ADMIN, scope_unit=district
    )
    communities = list(
        AdminUnit.objects.filter(level=Level.COMMUNITY).order_by("code").values_list("pk", "code")
    )
    categories = list(Category.objects.select_related("default_unit").order_by("pk"))
    streets = {u.code: unit_for_admin(u) for u in AdminUnit.objects.filter(level=Level.STREET)}
    departments = list(ResponsibleUnit.objects.filter(department__isnull=False))

    fields = [f for f in Ticket._meta.concrete_fields if not f.primary_key]
    columns = [f.column for f in fields]
    rng = random.Random(1)
    states = (
        ["closed"] * 85
        + ["resolved"] * 3
        + ["accepted"] * 5
        + ["dispatched"] * 4
        + ["escalated"] * 2
        + ["submitted"]
    )
    channels = ["hotline", "mobile", "web", "window", "grid_patrol", "kiosk"]
    now = datetime.now(UTC)
    span = timedelta(days=3 * 365).total_seconds()
    adapt = connection.ops.adapt_datetimefield_value
    defaults = {f.column: f.get_default() for f in fields}

    # As in a running district: what is still open was filed in the last days and is
    # mostly within its deadlines (the overdue job escalates the rest); closed tickets span
    # the three years. Rows are stored in the order they were filed, ids rising with time,
    # as in a live table (not scattered at random over the disk).
    filed = []
    for _ in range(n_tickets):
        status = rng.choice(states)
        age = span if status in ("closed", "resolved", "escalated") else 8 * 86400
        filed.append((now - timedelta(seconds=rng.random() * age), status))
    filed.sort(key=lambda pair: pair[0])

    def row(i: int) -> list:
        unit_pk, code = communities[i % len(communities)]
        category = categories[i % len(categories)]
        if category.default_unit_id:
            ru = category.default_unit
        elif category.routing == "street":
            ru = streets[code[:9]]
        else:
            ru = rng.choice(departments)
        created, status = filed[i]
        late = i % 50 == 0
        accept_due = created + timedelta(hours=2) if late else now + timedelta(hours=2)
        answer_due = created + timedelta(days=7 if late else 9)
        values = dict(defaults)
        values.update(
            number=f"B{i:013d}",
            channel=rng.choice(channels),
            category_id=category.pk,
            text=f"{category.name}问题第{i}号：请尽快处理",
            extra="{}",
            address="",
            admin_unit_id=unit_pk,
            unit_code=code,
            status=status,
            assigned_unit_id=None if status == "submitted" else ru.pk,
            assigned_code="" if status == "submitted" else ru.code,
            created_at=adapt(created),
            updated_at=adapt(created),
            accept_due=adapt(accept_due),
            answer_due=adapt(answer_due),
            due_at=adapt(next_due(status, accept_due, answer_due)),
            idempotency_key=None,
            text_hash=f"{i:032d}",
            follow_token_hash="",
            contact_phone_mask="139****0000",
            contact_name_mask="张*",
            classifier_label="",
            reopen_count=0,
        )
        return [values[c] for c in columns]

    started = time.perf_counter()
    batch = 50_000
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                raw = cursor.cursor
                with raw.copy(f"COPY tickets_ticket ({', '.join(columns)}) FROM STDIN") as copy:
                    for i in range(n_tickets):
                        copy.write_row(row(i))
        else:
            sql = (
                f"INSERT INTO tickets_ticket ({', '.join(columns)}) "
                f"VALUES ({', '.join(['%s'] * len(columns))})"
            )
            with connection.cursor() as cursor:
                for start in range(0, n_tickets, batch):
                    cursor.executemany(
                        sql, [row(i) for i in range(start, min(start + batch, n_tickets))]
                    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # As in a running district, whose tables autovacuum keeps: the visibility map
            # set (index-only scans) and no vacuum of a fresh million rows during the runs.
            cursor.execute("VACUUM ANALYZE")
        else:
            cursor.execute("ANALYZE")
    client = Client()
    client.force_login(admin)
    out.write_text(
        json.dumps(
            {
                "session": client.cookies["sessionid"].value,
                "units": [code for _, code in communities],
                "seconds": time.perf_counter() - started,
                "tickets": Ticket.objects.count(),
            }
        )
    )


# --------------------------------------------------------------------- driver


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port: int, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


def wrk(port: int, script: Path, seconds: int, connections: int) -> dict:
    out = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    timeouts = re.search(r"timeout (\d+)", out)

    def pct(label: str) -> float:
        value, unit = re.search(rf"\s{label}%\s+([\d.]+)(us|ms|s)", out).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    return {
        "rps": rps,
        "p50": pct("50"),
        "p99": pct("99"),
        "errors": int(errors.group(1)) if errors else 0,
        "timeouts": int(timeouts.group(1)) if timeouts else 0,
        "raw": out,
    }


def run_backend(name: str, url: str | None, args: argparse.Namespace, work: Path) -> dict:
    from shequ.core.crypto import generate_key, key_to_text

    var = work / name
    (var / "static").mkdir(parents=True)  # STATIC_ROOT, or whitenoise warns in every worker
    (work / "bench_settings.py").write_text(BENCH_SETTINGS)
    (work / "bench_urls.py").write_text(BENCH_URLS)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench_settings",
        "PYTHONPATH": f"{work}{os.pathsep}{ROOT}",
        "SHEQU_VAR_DIR": str(var),
        "SHEQU_FIELD_KEY": key_to_text(generate_key()),
        "SHEQU_LOG_LEVEL": "ERROR",
    }
    if url:
        env["DATABASE_URL"] = url
    else:
        env.pop("DATABASE_URL", None)
    subprocess.run(
        [PYTHON, str(ROOT / "manage.py"), "migrate", "-v0"], env=env, check=True, cwd=ROOT
    )
    info_file = var / "seed.json"
    subprocess.run(
        [PYTHON, __file__, "--child-seed", str(args.tickets), str(info_file)],
        env=env,
        check=True,
        cwd=ROOT,
    )
    info = json.loads(info_file.read_text())
    print(f"  {name}: {info['tickets']:,} tickets loaded in {info['seconds']:.0f} s", flush=True)

    scripts = {
        "bare insert": LUA_BARE,
        "intake": LUA_INTAKE.replace(
            "{UNITS}", "{" + ", ".join(f'"{c}"' for c in info["units"]) + "}"
        ),
        "list": LUA_LIST.replace("{SESSION}", info["session"]),
    }
    port = free_port()
    server = subprocess.Popen(
        [
            str(Path(PYTHON).parent / "gunicorn"),
            "shequ.wsgi",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "--timeout",
            "120",
        ],
        env=env,
        cwd=ROOT,
        start_new_session=True,
    )
    rounds: dict[str, list[dict]] = {label: [] for label in scripts}
    try:
        wait_for(port)
        for n in range(args.rounds):
            for label, lua in scripts.items():
                script = var / f"{label.replace(' ', '_')}.lua"
                if n == 0:  # warm-up (imports, jieba, caches) with requests of its own
                    script.write_text(lua.replace("{ROUND}", "9"))
                    wrk(port, script, 3, args.connections)
                script.write_text(lua.replace("{ROUND}", str(n)))
                r = wrk(port, script, args.seconds, args.connections)
                rounds[label].append(r)
                print(
                    f"  {name} round {n + 1} {label}: {r['rps']:.0f} req/s, "
                    f"p50 {r['p50']:.1f} ms, p99 {r['p99']:.1f} ms, errors {r['errors']}",
                    flush=True,
                )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    # The round with the median rate stands for the endpoint: one slow or fast round (other
    # work on the shared machine) does not decide the verdict.
    return {
        label: sorted(runs, key=lambda r: r["rps"])[len(runs) // 2]
        for label, runs in rounds.items()
    }


def postgres_database() -> tuple[str, str]:
    import psycopg

    name = f"shequ_bench_{os.getpid()}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name, PG_ADMIN.rsplit("/", 1)[0] + "/" + name


def drop_postgres(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3, help="runs of each endpoint")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--child-seed", nargs=2, metavar=("N", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_seed:
        seed(int(args.child_seed[0]), Path(args.child_seed[1]))
        return
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install wrk")
    sys.path.insert(0, str(ROOT))
    print(
        f"接诉即办 load: {args.tickets:,} tickets, gunicorn 2 workers, wrk 1 thread "
        f"{args.connections} connections, {args.seconds} s per endpoint; "
        f"load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores",
        flush=True,
    )
    table = {}
    with tempfile.TemporaryDirectory(prefix="tickets-load-") as tmp:
        work = Path(tmp)
        for backend in args.backends.split(","):
            if backend == "sqlite":
                table["SQLite"] = run_backend("sqlite", None, args, work)
            else:
                name, url = postgres_database()
                try:
                    table["PostgreSQL"] = run_backend("postgresql", url, args, work)
                finally:
                    drop_postgres(name)
    print()
    print(
        f"{'backend':<11} {'endpoint':<12} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'÷ bare':>7} {'errors':>7}  target"
    )
    targets = {"intake": (500, 100), "list": (400, 100)}
    for backend, results in table.items():
        ceiling = results["bare insert"]["rps"]
        for label, r in results.items():
            goal = targets.get(label)
            verdict = ""
            if goal:
                met = r["rps"] >= goal[0] and r["p99"] < goal[1]
                # The targets were set when the bare insert did ISSUE_BARE/s here: the same
                # share of this run's ceiling is the target on a machine as fast as now.
                share = goal[0] / ISSUE_BARE
                met_share = r["rps"] >= share * ceiling and r["p99"] < goal[1]
                verdict = (
                    f"≥{goal[0]}/s, p99<{goal[1]} ms: {'met' if met else 'NOT met'}; "
                    f"≥{share:.0%} of bare: {'met' if met_share else 'NOT met'}"
                )
            print(
                f"{backend:<11} {label:<12} {r['rps']:>8.0f} {r['p50']:>8.1f} {r['p99']:>8.1f} "
                f"{r['rps'] / ceiling:>7.0%} {r['errors'] + r['timeouts']:>7}  {verdict}"
            )
    print(
        textwrap.dedent(f"""
        load average at the end {os.getloadavg()[0]:.1f}: other processes on this machine share
        its {os.cpu_count()} cores with gunicorn and wrk.""")
    )


if __name__ == "__main__":
    main()
