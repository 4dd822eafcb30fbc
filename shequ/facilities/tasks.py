"""Background work: walking-access computations, queued by ``services.request_access_run``."""

from __future__ import annotations

from django_tasks import task

from shequ.errors import Invalid
from shequ.facilities import accessibility


@task()
def compute_access_task(run_id: int) -> dict:
    """Compute walking access for a queued :class:`AccessRun`; its row shows the progress.

    A missing network or a run already taken by another worker is not retried: the run
    row says why, and the task ends without error.
    """
    try:
        run = accessibility.run_queued(run_id)
    except Invalid as exc:
        return {"run": run_id, "status": "failed", "message": exc.message}
    return {"run": run.pk, "status": run.status}
