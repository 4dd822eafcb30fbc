"""Visit tasks: one per target and period, generated as each period starts, handed over when
a grid worker leaves."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction

from shequ.care.models import TaskStatus, VisitPolicy, VisitTask
from shequ.care.services import generate_visit_tasks, reassign_open_tasks
from shequ.errors import Forbidden, NotFound

pytestmark = pytest.mark.django_db


def test_each_target_gets_one_task_for_the_month_assigned_to_its_grid_worker(care):
    tasks = {t.target.person.name: t for t in VisitTask.objects.select_related("target__person")}
    assert set(tasks) == {"王秀兰", "李建国"}
    assert tasks["王秀兰"].assignee == care["zhang"]
    assert tasks["李建国"].assignee == care["liu"]
    assert {(t.period_start, t.period_end) for t in tasks.values()} == {
        (date(2026, 3, 1), date(2026, 3, 31))
    }


def test_at_the_start_of_a_period_the_new_tasks_appear_and_the_old_open_ones_are_missed(care):
    result = generate_visit_tasks(on=date(2026, 4, 1))
    assert (result.created, result.missed) == (2, 2)
    april = VisitTask.objects.filter(period_start=date(2026, 4, 1))
    assert april.count() == 2 and set(april.values_list("status", flat=True)) == {"open"}
    assert set(
        VisitTask.objects.filter(period_start=date(2026, 3, 1)).values_list("status", flat=True)
    ) == {TaskStatus.MISSED}


def test_generation_is_idempotent_within_a_period(care):
    assert generate_visit_tasks(on=date(2026, 3, 15)).created == 0
    generate_visit_tasks(on=date(2026, 4, 1))
    assert generate_visit_tasks(on=date(2026, 4, 2)).created == 0
    assert VisitTask.objects.count() == 4


def test_the_database_holds_at_most_one_open_task_per_target_and_period(care):
    task = VisitTask.objects.get(target=care["target_wang"])
    with pytest.raises(IntegrityError), transaction.atomic():
        VisitTask.objects.create(
            target=task.target,
            period=task.period,
            period_start=task.period_start,
            period_end=task.period_end,
        )


def test_a_winter_weekly_policy_makes_weekly_tasks_in_winter_only(care):
    VisitPolicy.objects.filter(name="冬季每周探访").update(active=True)
    generate_visit_tasks(on=date(2026, 3, 16))  # a Monday in March: winter policy
    week = VisitTask.objects.get(target=care["target_wang"], period="week")
    assert (week.period_start, week.period_end) == (date(2026, 3, 16), date(2026, 3, 22))
    generate_visit_tasks(on=date(2026, 4, 6))  # April: back to the all-year monthly policy
    april = VisitTask.objects.filter(target=care["target_wang"], period_start__month=4)
    assert [(t.period, t.period_start) for t in april] == [("month", date(2026, 4, 1))]


def test_when_a_grid_worker_leaves_the_daily_job_hands_her_tasks_to_the_grid_leader(care, units):
    from shequ.registry.models import Worker

    leader = Worker.objects.create(name="王军", unit=units["grid_a"], grid_role="grid_leader")
    Worker.objects.filter(pk=care["zhang"].pk).update(left_on=date(2026, 3, 20))
    result = generate_visit_tasks(on=date(2026, 3, 20))
    assert result.reassigned == 1
    assert VisitTask.objects.get(target=care["target_wang"]).assignee == leader


def test_a_clerk_hands_a_workers_tasks_to_a_named_colleague(care, personas):
    moved = reassign_open_tasks(care["liu"], actor=personas["clerk_a"], to=care["zhang"])
    assert moved == 1
    assert VisitTask.objects.get(target=care["target_li"]).assignee == care["zhang"]


def test_reassignment_is_refused_outside_scope_and_to_grid_workers(care, personas):
    with pytest.raises(NotFound):
        reassign_open_tasks(care["liu"], actor=personas["clerk_b"])
    with pytest.raises(Forbidden):
        reassign_open_tasks(care["liu"], actor=personas["grid_a"], to=care["zhang"])
    assert VisitTask.objects.get(target=care["target_li"]).assignee == care["liu"]


def test_the_command_runs_the_daily_job(care, capsys):
    call_command("generate_visit_tasks", "--date", "2026-04-01")
    assert "生成任务 2 项" in capsys.readouterr().out
    assert VisitTask.objects.filter(period_start=date(2026, 4, 1)).count() == 2


def test_the_command_can_enqueue_the_job(care, settings, capsys):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    call_command("generate_visit_tasks", "--date", "2026-04-01", "--enqueue")
    assert "已加入任务队列" in capsys.readouterr().out
    assert VisitTask.objects.filter(period_start=date(2026, 4, 1)).count() == 2
