"""Background work: the periodic escalation of overdue tickets (督办) as a Django task.

Django's tasks API has no scheduler, so the task schedules its own next run (``run_after``)
before it returns: one ``manage.py escalate_overdue --schedule`` starts the chain, and the
database backend's ``manage.py db_worker`` runs it — no extra service. The alternative is a
timer (cron / systemd) running ``manage.py escalate_overdue`` every few minutes; both may run
at once, because each ticket is claimed by a conditional UPDATE (see ``services``).
"""

from __future__ import annotations

from datetime import timedelta

from django_tasks import task

from shequ.tickets import clock

INTERVAL_SECONDS = 300


@task()
def escalate_overdue(interval_seconds: int = INTERVAL_SECONDS, reschedule: bool = True) -> int:
    """Escalate what is overdue now; then queue the next run ``interval_seconds`` later."""
    from shequ.tickets import services

    try:
        return services.escalate_overdue()
    finally:
        if reschedule and interval_seconds > 0:
            schedule(interval_seconds, force=True)


def schedule(interval_seconds: int = INTERVAL_SECONDS, *, force: bool = False) -> bool:
    """Queue the next run unless one is already waiting; True if one was queued."""
    if not force and pending_runs() > 0:
        return False
    escalate_overdue.using(run_after=clock.now() + timedelta(seconds=interval_seconds)).enqueue(
        interval_seconds=interval_seconds
    )
    return True


def pending_runs() -> int:
    """Runs of the escalation task waiting in the database queue (0 on other backends)."""
    try:
        from django_tasks_db.models import DBTaskResult
    except ImportError:  # pragma: no cover - the DB backend is a dependency
        return 0
    return (
        DBTaskResult.objects.filter(task_path=escalate_overdue.module_path)
        .filter(status="READY")
        .count()
    )
