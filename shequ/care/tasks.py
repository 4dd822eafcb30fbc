"""Background jobs of the care app (django-tasks; the db_worker runs them by default)."""

from __future__ import annotations

from datetime import date

from django_tasks import task

from shequ.care import clock, services


@task()
def daily_care_job(on: str | None = None) -> dict[str, int]:
    """Sync targets from the registry, then generate the period's visit tasks.

    Run once a day (cron or a systemd timer calling ``manage.py generate_visit_tasks
    --enqueue``, or directly): both steps are idempotent, and a period's tasks appear on the
    first run on or after the period's first day.
    """
    day = date.fromisoformat(on) if on else clock.today()
    synced = services.sync_targets(on=day)
    generated = services.generate_visit_tasks(on=day)
    return {
        "opened": len(synced.opened),
        "closed": sum(synced.closed.values()),
        "tasks": synced.tasks_created + generated.created,
        "missed": generated.missed,
        "reassigned": generated.reassigned,
    }
