"""Who answers a request: the rule table, the category's default, and the text classifier.

Routing order for a ticket of category C located in admin unit U:

1. the :class:`RoutingRule` of C whose ``unit_prefix`` is the longest prefix of U's code;
2. else C's default: a fixed unit, or the street / community that contains U;
3. else nobody: the ticket waits for a dispatcher.

The classifier proposes C from the text when the resident did not choose one; it is trusted
(automatic dispatch) only when its prediction says ``auto`` (confidence ≥ the model's
threshold, tuned for 97% precision).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings

from shequ.registry.models import CODE_LENGTH, AdminUnit, Level
from shequ.tickets import refdata
from shequ.tickets.models import Category, ResponsibleUnit, RoutingTarget

log = logging.getLogger(__name__)


# ------------------------------------------------------------------- routing


def route(category: Category | None, unit: AdminUnit) -> ResponsibleUnit | None:
    """The responsible unit for ``category`` at ``unit``, or None (a dispatcher decides)."""
    if category is None:
        return None
    snap = refdata.snapshot()
    for prefix, target in snap.rules.get(category.pk, ()):  # longest prefix first
        if unit.code.startswith(prefix):
            return target
    if category.routing == RoutingTarget.FIXED:
        return snap.responsible_unit(category.default_unit_id)
    level = Level.STREET if category.routing == RoutingTarget.STREET else Level.COMMUNITY
    length = CODE_LENGTH[level]
    if len(unit.code) < length:
        return None  # located only at district level: no street to send it to
    target_unit = unit if len(unit.code) == length else snap.active_unit(unit.code[:length])
    return unit_for_admin(target_unit) if target_unit else None


def unit_for_admin(unit: AdminUnit) -> ResponsibleUnit:
    found = refdata.snapshot().for_admin_unit.get(unit.pk)
    if found is None:
        found, _ = ResponsibleUnit.objects.select_related("admin_unit").get_or_create(
            admin_unit=unit
        )
    return found


# ---------------------------------------------------------------- classifier


@dataclass(frozen=True)
class Suggestion:
    """The classifier's proposal: a catalogue category (or None), its confidence, and
    whether it is confident enough to dispatch without a person."""

    category: Category | None
    label: str
    confidence: float | None
    auto: bool


NO_SUGGESTION = Suggestion(None, "", None, False)


class _Predictor(Protocol):
    def predict(self, text: str) -> Any: ...


_lock = threading.Lock()
_classifier: _Predictor | None = None
_loaded = False


def set_classifier(classifier: _Predictor | None) -> None:
    """Install a classifier (tests, or after training); None reloads from settings."""
    global _classifier, _loaded
    with _lock:
        _classifier = classifier
        _loaded = classifier is not None


def _load() -> _Predictor | None:
    """The trained model from ``TICKET_CLASSIFIER_PATH`` if there is one, else the keyword
    lexicon (cold start); None if the classifier module is not available."""
    global _classifier, _loaded
    if _loaded:
        return _classifier
    with _lock:
        if not _loaded:
            _classifier = _build()
            _loaded = True
    return _classifier


def _build() -> _Predictor | None:
    try:
        from shequ.tickets import classifier as module
    except ImportError:
        return None
    path = getattr(settings, "TICKET_CLASSIFIER_PATH", None)
    try:
        if path is not None and path.exists():
            return module.TicketClassifier.load(path)
        keyword = getattr(module, "KeywordClassifier", None)
        return keyword() if keyword is not None else None
    except Exception:  # a broken model file must not stop intake: dispatchers route by hand
        log.exception("ticket classifier could not be loaded; routing by hand")
        return None


def classify(text: str) -> Suggestion:
    """The classifier's category for ``text``; never raises."""
    model = _load()
    if model is None or not text.strip():
        return NO_SUGGESTION
    try:
        prediction = model.predict(text)
    except Exception:
        log.exception("ticket classifier failed; routing by hand")
        return NO_SUGGESTION
    label = str(getattr(prediction, "label", "") or "")
    confidence = getattr(prediction, "confidence", None)
    category = category_for_label(label)
    # A label outside the catalogue (e.g. a model trained on other data) only informs.
    auto = bool(getattr(prediction, "auto", False)) and category is not None
    return Suggestion(
        category, label[:40], float(confidence) if confidence is not None else None, auto
    )


def category_for_label(label: str) -> Category | None:
    """The active category whose code or name is ``label``."""
    if not label:
        return None
    snap = refdata.snapshot()
    return snap.by_code.get(label) or snap.by_name.get(label)
