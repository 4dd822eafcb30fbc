"""How ``DATABASE_URL`` becomes the database settings (read in a fresh interpreter, as a
server process reads them)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def database_settings(tmp_path: Path, **env: str) -> dict:
    code = (
        "import json, django; from django.conf import settings; django.setup(); "
        "d = settings.DATABASES['default']; "
        "print(json.dumps({'ENGINE': d['ENGINE'], 'OPTIONS': d.get('OPTIONS', {})}))"
    )
    environ = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    environ.update(DJANGO_SETTINGS_MODULE="shequ.settings", SHEQU_VAR_DIR=str(tmp_path), **env)
    out = subprocess.run(
        [sys.executable, "-c", code], env=environ, cwd=ROOT, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_postgresql_binds_on_the_server_and_prepares(tmp_path):
    found = database_settings(tmp_path, DATABASE_URL="postgres://u@127.0.0.1:5432/x")
    assert found["ENGINE"] == "django.db.backends.postgresql"
    assert found["OPTIONS"] == {"server_side_binding": True, "prepare_threshold": 5}


def test_behind_a_pooler_statements_are_not_prepared(tmp_path):
    found = database_settings(
        tmp_path,
        DATABASE_URL="postgres://u@127.0.0.1:5432/x?sslmode=disable",
        SHEQU_PG_PREPARE="0",
    )
    assert found["OPTIONS"]["prepare_threshold"] is None
    assert found["OPTIONS"]["sslmode"] == "disable"  # the URL's own options are kept


def test_sqlite_by_default(tmp_path):
    found = database_settings(tmp_path)
    assert found["ENGINE"] == "shequ.sqlite" and "server_side_binding" not in found["OPTIONS"]


@pytest.mark.parametrize("value", ["maybe", "2"])
def test_a_bad_switch_is_refused(tmp_path, value):
    code = "import django; django.setup()"
    environ = dict(os.environ, DJANGO_SETTINGS_MODULE="shequ.settings")
    environ.update(
        SHEQU_VAR_DIR=str(tmp_path),
        DATABASE_URL="postgres://u@127.0.0.1:5432/x",
        SHEQU_PG_PREPARE=value,
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=environ, cwd=ROOT, capture_output=True, text=True
    )
    assert out.returncode != 0 and "SHEQU_PG_PREPARE must be a boolean" in out.stderr
