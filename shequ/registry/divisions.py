"""Division lists (统计用区划代码) in and out: read a CSV, plan the changes, apply them.

A division list is a CSV ``code,name,level,parent_code`` as the NBS publishes it (levels
county/town/village; our own names district/street/community are accepted too). Only the
subtree of one root code is read. Importing a later list over the current one never deletes:

- added codes are created;
- renamed units (same code, new name) keep their row and records;
- removed codes are deactivated (``active=False``) with their subtree;
- a removed code and an added code with the same name (or the same name once 村/社区 is
  stripped: 村改居) under the same parent are a *re-code candidate*. It is only proposed;
  the user confirms it with ``--recode OLD=NEW``. A confirmed re-code keeps the row (primary
  key, foreign keys, records) and changes its code and its subtree's codes by prefix.

Everything happens in one transaction with one audit row per changed unit; bad input raises
:class:`DivisionError` before anything is written.
"""

from __future__ import annotations

import csv
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction

from shequ.audit import services as audit
from shequ.audit.models import Action
from shequ.registry.models import CODE_LENGTH, LEVEL_OF_LENGTH, AdminUnit, Level

DEFAULT_ROOT = "220403"  # 西安区
DEFAULT_CSV = Path(__file__).resolve().parent / "data" / "liaoyuan_2023.csv"
COLUMNS = ("code", "name", "level", "parent_code")

# NBS level names and ours; the level must agree with the code length.
LEVEL_NAMES: dict[str, Level] = {
    "county": Level.DISTRICT,
    "district": Level.DISTRICT,
    "town": Level.STREET,
    "street": Level.STREET,
    "village": Level.COMMUNITY,
    "community": Level.COMMUNITY,
}
AUDIT_FIELDS = ("code", "name", "level", "parent", "is_urban", "active")
# 村改居 keeps the place name and swaps the suffix: 灯塔村 → 灯塔社区.
_SUFFIX = re.compile(r"(村民委员会|居民委员会|村委会|居委会|社区|村)$")


class DivisionError(ValueError):
    """Bad division input or a re-code the plan does not allow; nothing was changed."""


def is_urban_code(code: str) -> bool:
    """Urban or rural class from the code itself (GB/T 10114 and the NBS coding rules).

    A 12-digit code ending 001–199 is a residents' committee (社区, urban), 200–399 a
    villagers' committee (村, rural). A 9-digit code 001–099 is a 街道 (urban), 100–199 a
    镇 and 200–399 a 乡 (rural). Districts count as urban. Grids take their community's.
    """
    if len(code) == 15:
        code = code[:12]
    if len(code) == 12:
        return 1 <= int(code[-3:]) <= 199
    if len(code) == 9:
        return int(code[-3:]) < 100
    return True


def name_stem(name: str) -> str:
    return _SUFFIX.sub("", name.strip())


@dataclass(frozen=True)
class Division:
    """One row of a division list, normalised (trimmed codes, our level names)."""

    code: str
    name: str
    level: str
    parent_code: str | None

    @property
    def is_urban(self) -> bool:
        return is_urban_code(self.code)


def _trim_padding(code: str) -> str:
    """220403001000 → 220403001: real 12-digit community codes never end in 000."""
    if len(code) == 12 and code.isdigit() and code.endswith("000"):
        code = code[:9] if code[9:] == "000" and code[6:9] != "000" else code[:6]
    return code


def _normalise_code(code: str, level: Level) -> str:
    """Trim the zero padding of full 12-digit NBS codes (220403000000 → 220403)."""
    want = CODE_LENGTH[level]
    if len(code) == 12 and want < 12 and code[want:] == "0" * (12 - want):
        return code[:want]
    return code


def read_divisions(path: str | Path, root: str = DEFAULT_ROOT) -> list[Division]:
    """The rows of ``path`` in the subtree of ``root`` (root included), parents first.

    Raises :class:`DivisionError` for a missing file, wrong columns, a malformed code, a
    level that does not match the code length, a duplicate code, a parent that is not in the
    file (or is not the code's prefix), or a root that is not in the file.
    """
    path = Path(path)
    root = str(root).strip()
    if len(root) not in LEVEL_OF_LENGTH or not root.isdigit() or len(root) == 15:
        raise DivisionError(f"根代码 {root} 不是6/9/12位区划代码。")
    if not path.is_file():
        raise DivisionError(f"文件不存在：{path}")
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            header = tuple((h or "").strip() for h in reader.fieldnames or ())
            if not set(COLUMNS) <= set(header):
                raise DivisionError(
                    f"列名应为 {','.join(COLUMNS)}，文件中为 {','.join(header) or '（空）'}。"
                )
            rows = [(n, _clean_row(row)) for n, row in enumerate(reader, start=2)]
    except UnicodeDecodeError:
        raise DivisionError(f"文件 {path} 不是 UTF-8 编码。") from None
    except csv.Error as exc:
        raise DivisionError(f"文件 {path} 不是有效的 CSV：{exc}") from None
    divisions = [_division(n, row) for n, row in rows if row["code"].startswith(root)]
    return _check_tree(divisions, root)


def _clean_row(row: Mapping[str | None, Any]) -> dict[str, str]:
    return {key: str(row.get(key) or "").strip() for key in COLUMNS}


def _division(line: int, row: dict[str, str]) -> Division:
    level = LEVEL_NAMES.get(row["level"].lower())
    if level is None:
        raise DivisionError(f"第{line}行：层级“{row['level']}”无法识别。")
    code = _normalise_code(row["code"], level)
    if not code.isdigit() or LEVEL_OF_LENGTH.get(len(code)) != level or level == Level.GRID:
        raise DivisionError(f"第{line}行：代码 {row['code']} 与层级 {row['level']} 不符。")
    if not row["name"]:
        raise DivisionError(f"第{line}行：代码 {code} 缺少名称。")
    parent = _trim_padding(row["parent_code"])
    return Division(code=code, name=row["name"], level=level, parent_code=parent or None)


def _check_tree(divisions: list[Division], root: str) -> list[Division]:
    counts = Counter(d.code for d in divisions)
    duplicates = sorted(code for code, n in counts.items() if n > 1)
    if duplicates:
        raise DivisionError(f"代码重复：{', '.join(duplicates[:5])}")
    if root not in counts:
        raise DivisionError(f"文件中没有根代码 {root}。")
    for d in divisions:
        if d.code == root:
            continue
        if d.parent_code not in counts:
            raise DivisionError(
                f"{d.code} {d.name} 的上级代码 {d.parent_code or '（空）'} 不在文件中。"
            )
        if d.parent_code != d.code[: len(d.parent_code)] or len(d.parent_code) >= len(d.code):
            raise DivisionError(f"{d.code} {d.name} 的上级代码 {d.parent_code} 不是其代码前缀。")
    return sorted(divisions, key=lambda d: (len(d.code), d.code))


@dataclass(frozen=True)
class Recode:
    """A proposed re-code: an existing unit ``old_code`` reappears as ``new_code``."""

    old_code: str
    new_code: str
    old_name: str
    new_name: str

    @property
    def argument(self) -> str:
        return f"{self.old_code}={self.new_code}"


@dataclass
class DivisionPlan:
    """What importing a list would change (computed against the database, writes nothing)."""

    root: str
    divisions: list[Division]
    added: list[Division] = field(default_factory=list)
    renamed: list[tuple[AdminUnit, Division]] = field(default_factory=list)
    reactivated: list[tuple[AdminUnit, Division]] = field(default_factory=list)
    removed: list[AdminUnit] = field(default_factory=list)
    recode_candidates: list[Recode] = field(default_factory=list)
    unchanged: int = 0
    # code → {what: count} of records under each removed unit (and re-code candidate)
    attached: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.renamed or self.reactivated or self.removed)

    def describe(self) -> list[str]:
        """The plan as lines of text for the command's output."""
        lines = [
            f"新增 {len(self.added)}，更名 {len(self.renamed)}，恢复 {len(self.reactivated)}，"
            f"撤销 {len(self.removed)}，改码候选 {len(self.recode_candidates)}，"
            f"不变 {self.unchanged}。"
        ]
        for d in self.added:
            lines.append(f"  新增  {d.code} {d.name}（上级 {d.parent_code or '无'}）")
        for unit, d in self.renamed:
            lines.append(f"  更名  {unit.code} {unit.name} → {d.name}")
        for unit, d in self.reactivated:
            lines.append(f"  恢复  {unit.code} {d.name}（原为无效）")
        for unit in self.removed:
            lines.append(f"  撤销  {unit.code} {unit.name}：{self._attached_text(unit.code)}")
        for r in self.recode_candidates:
            lines.append(
                f"  改码候选  {r.old_code} {r.old_name} → {r.new_code} {r.new_name}"
                f"（{self._attached_text(r.old_code, removal=False)}；确认请加 --recode "
                f"{r.argument}）"
            )
        return lines

    def _attached_text(self, code: str, removal: bool = True) -> str:
        counts = {k: v for k, v in self.attached.get(code, {}).items() if v}
        if not counts:
            return "无关联记录" + ("，设为无效" if removal else "")
        text = "、".join(f"{k} {v}" for k, v in counts.items())
        return f"关联记录 {text}" + ("，设为无效（不删除）" if removal else "")


def _existing(root: str) -> dict[str, AdminUnit]:
    return {u.code: u for u in AdminUnit.objects.filter(code__startswith=root).order_by("code")}


def attached_records(unit: AdminUnit) -> dict[str, int]:
    """Records that point at ``unit`` or its subtree, by model (every app's foreign keys)."""
    counts: dict[str, int] = {}
    below = AdminUnit.objects.filter(code__startswith=unit.code).exclude(pk=unit.pk).count()
    if below:
        counts["下级单元"] = below
    for rel in AdminUnit._meta.related_objects:
        if rel.related_model is AdminUnit or not rel.field.concrete:
            continue
        model = rel.related_model
        n = model._base_manager.filter(**{f"{rel.field.name}__code__startswith": unit.code}).count()
        if n:
            counts[str(model._meta.verbose_name)] = n
    return counts


def plan_divisions(divisions: list[Division], root: str = DEFAULT_ROOT) -> DivisionPlan:
    """Compare ``divisions`` (from :func:`read_divisions`) with the units in the database."""
    plan = DivisionPlan(root=root, divisions=divisions)
    existing = {c: u for c, u in _existing(root).items() if u.level != Level.GRID}
    incoming = {d.code: d for d in divisions}
    for d in divisions:
        unit = existing.get(d.code)
        if unit is None:
            plan.added.append(d)
        elif not unit.active:
            plan.reactivated.append((unit, d))
        elif unit.name != d.name:
            plan.renamed.append((unit, d))
        else:
            plan.unchanged += 1
    plan.removed = [u for c, u in existing.items() if c not in incoming and u.active]
    plan.recode_candidates = _recode_candidates(plan.removed, plan.added)
    for unit in plan.removed:
        plan.attached[unit.code] = attached_records(unit)
    return plan


def _recode_candidates(removed: list[AdminUnit], added: list[Division]) -> list[Recode]:
    """Pairs (removed, added) of one level with the same name stem under the same parent.

    Level by level from the top, so the communities of a re-coded street are matched under
    the street's proposed new code.
    """
    candidates: list[Recode] = []
    moved: dict[str, list[str]] = defaultdict(list)  # old parent code → proposed new codes
    for length in (6, 9, 12):
        for unit in (u for u in removed if len(u.code) == length):
            old_parent = unit.code[: length - 3] if length > 6 else ""
            parents = {old_parent, *moved.get(old_parent, [])}
            for d in added:
                if (
                    len(d.code) == length
                    and (d.parent_code or "") in parents
                    and name_stem(d.name) == name_stem(unit.name)
                ):
                    candidates.append(Recode(unit.code, d.code, unit.name, d.name))
                    moved[unit.code].append(d.code)
    return candidates


@dataclass
class ApplyResult:
    added: int = 0
    renamed: int = 0
    recoded: int = 0
    reactivated: int = 0
    deactivated: int = 0
    audit_rows: int = 0
    lines: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"新增 {self.added}，更名 {self.renamed}，改码 {self.recoded}，"
            f"恢复 {self.reactivated}，设为无效 {self.deactivated}"
            f"（审计记录 {self.audit_rows} 条）。"
        )


def parse_recode(text: str) -> tuple[str, str]:
    old, sep, new = str(text).partition("=")
    old, new = old.strip(), new.strip()
    if not sep or not old.isdigit() or not new.isdigit() or len(old) != len(new):
        raise DivisionError(f"--recode {text}：应为 旧代码=新代码（位数相同）。")
    return old, new


@transaction.atomic
def apply_divisions(
    divisions: list[Division],
    root: str = DEFAULT_ROOT,
    *,
    recodes: Iterable[tuple[str, str]] = (),
    split_candidates: bool = False,
    actor: Any = None,
) -> ApplyResult:
    """Import ``divisions`` over the units in the database, in one transaction.

    ``recodes`` are the user's confirmed (old, new) pairs; each must be a re-code candidate
    of the plan. Candidates left unconfirmed are an error unless ``split_candidates`` (then
    the old unit is deactivated and the new code created as a separate unit).
    """
    pairs = dict(_check_pairs(list(recodes), plan_divisions(divisions, root), split_candidates))
    result = ApplyResult()
    if pairs:
        _apply_recodes(pairs, divisions, root, result, actor)
    plan = plan_divisions(divisions, root)
    _create_added(plan.added, root, result, actor)
    for unit, d in plan.renamed:
        _rename(unit, d.name, result, actor)
    for unit, d in plan.reactivated:
        before = audit.snapshot(unit, AUDIT_FIELDS)
        unit.active, unit.name = True, d.name
        unit.save(update_fields=["active", "name", "updated_at"])
        _audit(unit, before, result, actor, f"区划导入：恢复 {unit.code} {unit.name}")
        result.reactivated += 1
    for unit in plan.removed:
        _deactivate_subtree(unit, result, actor)
    return result


def _check_pairs(
    pairs: list[tuple[str, str]], plan: DivisionPlan, split_candidates: bool
) -> list[tuple[str, str]]:
    allowed = {(r.old_code, r.new_code) for r in plan.recode_candidates}
    olds = Counter(old for old, _ in pairs)
    news = Counter(new for _, new in pairs)
    for old, new in pairs:
        if (old, new) not in allowed:
            existing = AdminUnit.objects.filter(code=new).first()
            why = (
                f"新代码 {new} 已被 {existing.name} 使用"
                if existing is not None
                else "不在改码候选中（须同一上级下撤销与新增的同名单位）"
            )
            raise DivisionError(f"--recode {old}={new}：{why}。")
        if olds[old] > 1 or news[new] > 1:
            raise DivisionError(f"--recode {old}={new}：同一代码只能出现在一个改码对中。")
    confirmed = {old for old, _ in pairs} | {new for _, new in pairs}
    open_ = [
        r
        for r in plan.recode_candidates
        if r.old_code not in confirmed and r.new_code not in confirmed and not _implied(r, pairs)
    ]
    if open_ and not split_candidates:
        args = " ".join(f"--recode {r.argument}" for r in open_)
        raise DivisionError(
            "有未确认的改码候选：确认改码请加 "
            + args
            + "；若确为撤销旧单位并新建，请加 --no-recode。"
        )
    return pairs


def _implied(candidate: Recode, pairs: list[tuple[str, str]]) -> bool:
    """A community's re-code that follows from its street's confirmed re-code (same suffix)."""
    return any(
        candidate.old_code.startswith(old)
        and candidate.new_code == new + candidate.old_code[len(old) :]
        for old, new in pairs
    )


def _apply_recodes(
    pairs: dict[str, str], divisions: list[Division], root: str, result: ApplyResult, actor: Any
) -> None:
    units = list(AdminUnit.objects.filter(code__startswith=root).order_by("code"))
    by_code = {u.code: u for u in units}
    current = {u.pk: u.code for u in units}
    explicit: set[int] = set()
    for old in sorted(pairs, key=len):  # streets before their communities
        unit = by_code[old]
        explicit.add(unit.pk)
        prefix, new = current[unit.pk], pairs[old]
        for u in units:
            if current[u.pk].startswith(prefix):
                current[u.pk] = new + current[u.pk][len(prefix) :]
    finals = Counter(current.values())
    clashes = sorted(code for code, n in finals.items() if n > 1)
    if clashes:
        raise DivisionError(f"改码后代码冲突：{', '.join(clashes[:5])}。")
    names = {d.code: d.name for d in divisions}
    for u in units:
        code = current[u.pk]
        if u.pk in explicit or code == u.code or u.level == Level.GRID:
            continue
        if code in names and name_stem(names[code]) != name_stem(u.name):
            raise DivisionError(
                f"{u.code} {u.name} 随上级改码为 {code}，但新名单中 {code} 是“{names[code]}”；"
                f"请为它单独给出 --recode。"
            )
    for u in units:
        if current[u.pk] != u.code:
            before = audit.snapshot(u, AUDIT_FIELDS)
            old_code = u.code
            u.code, u.is_urban = current[u.pk], is_urban_code(current[u.pk])
            u.save(update_fields=["code", "is_urban", "updated_at"])
            _audit(u, before, result, actor, f"区划导入：改码 {old_code} → {u.code} {u.name}")
            result.recoded += 1


def _create_added(added: list[Division], root: str, result: ApplyResult, actor: Any) -> None:
    by_code = _existing(root)
    for d in sorted(added, key=lambda d: (len(d.code), d.code)):
        parent = by_code.get(d.parent_code or "")
        if parent is None and d.parent_code:
            parent = AdminUnit.objects.filter(code=d.parent_code).first()
        unit = AdminUnit.objects.create(
            code=d.code, name=d.name, level=d.level, parent=parent, is_urban=d.is_urban
        )
        by_code[unit.code] = unit
        audit.record_created(unit, AUDIT_FIELDS, actor=actor)
        result.audit_rows += 1
        result.added += 1


def _rename(unit: AdminUnit, name: str, result: ApplyResult, actor: Any) -> None:
    old = unit.name
    before = audit.snapshot(unit, AUDIT_FIELDS)
    unit.name = name
    unit.save(update_fields=["name", "updated_at"])
    _audit(unit, before, result, actor, f"区划导入：更名 {unit.code} {old} → {name}")
    result.renamed += 1
    # Grids are named after their community (泰安社区第一网格): their names follow.
    for grid in AdminUnit.objects.filter(parent=unit, level=Level.GRID, name__startswith=old):
        before = audit.snapshot(grid, AUDIT_FIELDS)
        grid.name = name + grid.name[len(old) :]
        grid.save(update_fields=["name", "updated_at"])
        _audit(grid, before, result, actor, f"区划导入：网格随社区更名 {grid.code}")


def _deactivate_subtree(unit: AdminUnit, result: ApplyResult, actor: Any) -> None:
    for u in AdminUnit.objects.filter(code__startswith=unit.code, active=True):
        before = audit.snapshot(u, AUDIT_FIELDS)
        u.active = False
        u.save(update_fields=["active", "updated_at"])
        _audit(u, before, result, actor, f"区划导入：撤销 {u.code} {u.name}（设为无效）")
        result.deactivated += 1


def _audit(
    unit: AdminUnit, before: dict[str, Any], result: ApplyResult, actor: Any, summary: str
) -> None:
    audit.record(
        Action.UPDATE,
        unit,
        actor=actor,
        changes=audit.diff(before, audit.snapshot(unit, AUDIT_FIELDS)),
        summary=summary,
    )
    result.audit_rows += 1


@transaction.atomic
def ensure_divisions(
    divisions: list[Division], root: str = DEFAULT_ROOT, *, actor: Any = None
) -> int:
    """Create the units of ``divisions`` that are missing; change nothing else (the demo)."""
    plan = plan_divisions(divisions, root)
    result = ApplyResult()
    _create_added(plan.added, root, result, actor)
    return result.added
