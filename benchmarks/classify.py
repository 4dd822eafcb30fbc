"""Benchmark: the ticket classifier against a plain baseline on real citizen messages.

    .venv/bin/python benchmarks/classify.py [CSV]

CSV defaults to ``../shared/data/citizen_messages/messages.csv`` relative to the repository
root (research data: never shipped in the product). It needs columns ``subject, detail,
label``.

Protocol: one fixed stratified 80/20 split (seed ``HOLDOUT_SEED`` = 42). Both classifiers are
trained on the 80 % only; each picks its auto-dispatch threshold by 5-fold cross-validation
on that 80 % (the smallest confidence at which the Wilson lower bound, z=1, of the
cross-validated precision is ≥ 97 %), and is scored once on the 20 %.
Nothing is tuned on the 20 %. The "oracle" share picks the threshold on the 20 % itself and
is an optimistic reference only.

Baseline: TF-IDF of character 1–3-grams (sublinear tf) and a LinearSVC (C=1); its confidence
is the margin between the two best decision values.

Targets: accuracy ≥ 0.92 and ≥ 80 % of tickets dispatched automatically at 97 % precision.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import normalize
from sklearn.svm import LinearSVC

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from shequ.tickets.classifier import (  # noqa: E402
    HOLDOUT_SEED,
    TARGET_PRECISION,
    Prediction,
    TicketClassifier,
    evaluate,
    holdout_split,
    read_labelled_csv,
    threshold_for_precision,
)

DEFAULT_CSV = ROOT.parent / "shared" / "data" / "citizen_messages" / "messages.csv"


class Baseline:
    """TF-IDF of character 1–3-grams + LinearSVC; confidence is the top-two margin."""

    def __init__(self, vectorizer: CountVectorizer, idf: np.ndarray, svm: LinearSVC):
        self.vectorizer, self.idf, self.svm = vectorizer, idf, svm
        self.threshold = self.threshold_at_z0 = math.inf

    @staticmethod
    def _idf(counts: sp.csr_matrix) -> np.ndarray:
        # Terms unseen in the fitted rows get 0 so cross-validation equals a per-fold pipeline.
        df = np.bincount(counts.indices, minlength=counts.shape[1])
        return np.where(df > 0, np.log((1 + counts.shape[0]) / (1 + df)) + 1, 0.0)

    @staticmethod
    def _tfidf(counts: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
        x = counts.astype(np.float64)
        x.data = 1 + np.log(x.data)
        return normalize(x @ sp.diags(idf))

    @classmethod
    def train(cls, texts: Sequence[str], labels: Sequence[str]) -> Baseline:
        y = np.asarray(labels)
        vectorizer = CountVectorizer(analyzer="char", ngram_range=(1, 3))
        counts = vectorizer.fit_transform(texts).tocsr()
        margins, correct = np.zeros(len(y)), np.zeros(len(y), dtype=bool)
        folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
        for fit, held in folds.split(np.zeros(len(y)), y):
            idf = cls._idf(counts[fit])
            svm = LinearSVC().fit(cls._tfidf(counts[fit], idf), y[fit])
            labels_, margins[held] = cls._decide(svm, cls._tfidf(counts[held], idf))
            correct[held] = labels_ == y[held]
        idf = cls._idf(counts)
        model = cls(vectorizer, idf, LinearSVC().fit(cls._tfidf(counts, idf), y))
        # The same rule as the model's: the Wilson lower bound at z=1 must reach 97 %.
        model.threshold = threshold_for_precision(margins, correct, TARGET_PRECISION, z=1.0)
        model.threshold_at_z0 = threshold_for_precision(margins, correct, TARGET_PRECISION)
        return model

    @staticmethod
    def _decide(svm: LinearSVC, x: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
        scores = svm.decision_function(x)
        top2 = np.sort(scores, axis=1)[:, -2:]
        return svm.classes_[scores.argmax(axis=1)], top2[:, 1] - top2[:, 0]

    def predict_many(self, texts: Iterable[str]) -> list[Prediction]:
        x = self._tfidf(self.vectorizer.transform(list(texts)).tocsr(), self.idf)
        labels, margins = self._decide(self.svm, x)
        return [
            Prediction(str(label), float(m), bool(m >= self.threshold))
            for label, m in zip(labels, margins, strict=True)
        ]


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.3f}" if b else "—"


def _at(model, threshold: float, texts: list[str], labels: list[str]) -> tuple[float, float]:
    """Share and precision of the predictions with confidence ≥ ``threshold``."""
    predictions = model.predict_many(texts)
    chosen = [p.label == t for p, t in zip(predictions, labels, strict=True)
              if p.confidence >= threshold]  # fmt: skip
    return len(chosen) / len(texts), (sum(chosen) / len(chosen) if chosen else math.nan)


def _pad(text: str, width: int) -> str:
    # Chinese characters take two columns in a terminal.
    used = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(0, width - used)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("csv", nargs="?", type=Path, default=DEFAULT_CSV)
    args = parser.parse_args(argv)

    texts, labels = read_labelled_csv(args.csv)
    train_texts, train_labels, test_texts, test_labels = holdout_split(texts, labels)
    print(f"data: {args.csv} — {len(texts)} rows, {len(set(labels))} labels")
    print(
        f"split: stratified 80/20, seed {HOLDOUT_SEED}: {len(train_texts)} train, "
        f"{len(test_texts)} held out; thresholds from 5-fold CV on the training part only"
    )

    started = time.perf_counter()
    model = TicketClassifier.train(train_texts, train_labels)
    model_seconds = time.perf_counter() - started
    ours = evaluate(model, test_texts, test_labels)

    started = time.perf_counter()
    baseline_model = Baseline.train(train_texts, train_labels)
    baseline_seconds = time.perf_counter() - started
    base = evaluate(baseline_model, test_texts, test_labels)

    at_z0 = tuple(zip(
        _at(model, model.metrics["threshold_at_z0"], test_texts, test_labels),
        _at(baseline_model, baseline_model.threshold_at_z0, test_texts, test_labels),
        strict=True,
    ))  # fmt: skip
    pct = round(TARGET_PRECISION * 100)
    rows = [
        ("accuracy", ours.accuracy, base.accuracy),
        ("macro-F1", ours.macro_f1, base.macro_f1),
        (f"auto-dispatched share at {pct}% (CV threshold)", ours.auto_share, base.auto_share),
        ("  precision of the auto-dispatched", ours.auto_precision, base.auto_precision),
        ("auto share, CV threshold at z=0 (no headroom)", *at_z0[0]),
        ("  precision of the auto-dispatched", *at_z0[1]),
        (f"oracle share at {pct}% (threshold on test; ref.)",
         ours.oracle_auto_share, base.oracle_auto_share),
        ("training time, s (incl. CV for the threshold)", model_seconds, baseline_seconds),
    ]  # fmt: skip
    rows += [
        (f"  {label} (n={ours.support[label]})", f1, base.per_label_f1[label])
        for label, f1 in ours.per_label_f1.items()
    ]
    print(f"\n{'held-out figures':<48}{'model':>9}{'baseline':>10}{'ratio':>9}")
    for i, (name, a, b) in enumerate(rows):
        if i == 8:
            print("per-label F1:")
        print(f"{_pad(name, 48)}{a:>9.4f}{b:>10.4f}{_ratio(a, b):>9}")
    cv = ", ".join(f"{k}={v:.4f}" for k, v in model.metrics.items() if k != "cv_folds")
    print(f"\nmodel: {model!r}\n  {model.metrics['cv_folds']}-fold CV on the training part: {cv}")
    print(f"baseline: auto-dispatch threshold (margin) {baseline_model.threshold:.4f}")
    met = ours.accuracy >= 0.92 and ours.auto_share >= 0.80
    print(f"targets (accuracy ≥ 0.92, auto share ≥ 0.80 at {pct}%): {'met' if met else 'NOT met'}")
    print(ours.summary())


if __name__ == "__main__":
    main()
