"""Propose a ticket's category from its text (接诉即办 routing).

Two classifiers share one interface: ``predict(text) -> Prediction(label, confidence, auto)``
and ``predict_many(texts)``. The caller dispatches automatically only when ``auto`` is true
(confidence ≥ the classifier's threshold); otherwise the ticket waits for a dispatcher.

* :class:`TicketClassifier` is trained on the district's own closed tickets. Features are
  TF-IDF (sublinear tf) of character uni/bi-grams of the whole text, of jieba words of its
  beginning, and of character 1–3-grams of its head (the subject line, weighted extra). One
  linear SVM per label is fitted on naive-Bayes-scaled features (NBSVM, Wang & Manning 2012),
  which beats a plain SVM on this kind of short, noisy text. The confidence is the estimated
  probability that the label is right: a logistic calibrator on the top score and the margin
  to the runner-up, fitted on cross-validated scores of the training set. The auto-dispatch
  threshold is the smallest confidence at which those cross-validated predictions keep
  precision ≥ 97 % with some confidence (the Wilson lower bound at one standard error must
  reach 97 %, not just the observed share); it is stored with the model.
* :class:`KeywordClassifier` is the cold start: a small keyword lexicon of the catalogue's
  categories, used while no trained model exists.

This module imports nothing from Django so it can be tested and benchmarked alone; the
``classifier`` management command is the Django side.
"""

from __future__ import annotations

import csv
import logging
import math
import os
import re
import threading
import unicodedata
import warnings
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import jieba
import joblib
import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.preprocessing import normalize
from sklearn.svm import LinearSVC

__all__ = [
    "DEFAULT_LEXICON",
    "HOLDOUT_SEED",
    "MIN_ROWS",
    "TARGET_PRECISION",
    "ClassifierFileError",
    "DataError",
    "KeywordClassifier",
    "Metrics",
    "Prediction",
    "TicketClassifier",
    "evaluate",
    "holdout_split",
    "load_or_cold_start",
    "read_labelled_csv",
    "text_of",
    "threshold_for_precision",
]

TARGET_PRECISION = 0.97
"""Auto-dispatched tickets must be right at least this often (cross-validated)."""

MIN_ROWS = 10
"""Fewer labelled texts than this cannot train anything worth dispatching with."""

HOLDOUT_SEED = 42
"""Seed of the fixed stratified 80/20 split used by the benchmark and ``evaluate``."""

_FORMAT = "shequ.tickets.classifier"
_FORMAT_VERSION = 1

# Feature settings; saved with each model so that a model keeps the settings it was trained
# with even if these change later.
_CONFIG: dict[str, Any] = {
    "char_ngrams": (1, 2),  # 1–3 was slower and no better in cross-validation
    "head_ngrams": (1, 3),
    "head_chars": 40,  # the subject line, or the first characters when there is none
    "word_chars": 400,  # jieba is the slowest step; the topic is stated early
    # char, word, head blocks: head repeats the subject, so it is extra weight on it; words
    # overlap the character bigrams, so they get less
    "weights": (1.0, 0.7, 0.5),
    "nb_alpha": 1.0,
    "svm_c": 1.0,
}

_WS = re.compile(r"\s+")
_SPACES = re.compile(r"[^\S\n]+")
_LINE_BREAKS = re.compile(r" ?\n[\s]*")
_HAS_LETTER = re.compile(r"[^\W\d_]")  # keeps words with a letter (CJK counts), drops 123 and ，


class ClassifierFileError(ValueError):
    """A model file is missing, corrupt, or from an incompatible version."""


class DataError(ValueError):
    """Training/evaluation data cannot be used (missing columns, too few rows, one label)."""


@dataclass(frozen=True)
class Prediction:
    """A proposed category; ``auto`` means confident enough to dispatch without a person."""

    label: str
    confidence: float
    auto: bool


class Classifier(Protocol):
    """What :func:`evaluate` needs: both classifiers here, or a benchmark's baseline."""

    threshold: float

    def predict_many(self, texts: Iterable[str]) -> list[Prediction]: ...


# ------------------------------------------------------------------------------ text


def text_of(subject: str | None, detail: str | None) -> str:
    """The text a classifier reads: the subject line, a newline, the detail.

    Whitespace inside each part is collapsed so the first line is always the subject (the
    model weights it extra); an empty subject leaves just the detail.
    """
    parts = (_WS.sub(" ", part or "").strip() for part in (subject, detail))
    return "\n".join(part for part in parts if part)


def _normalise(text: str) -> str:
    # NFKC folds full-width letters, digits and punctuation (Ａ１，) into their usual forms.
    text = unicodedata.normalize("NFKC", text or "").lower().replace("\x00", "")
    return _LINE_BREAKS.sub("\n", _SPACES.sub(" ", text)).strip()


def _head(text: str, chars: int) -> str:
    return text.split("\n", 1)[0][:chars]


_jieba_lock = threading.Lock()
_tokenizer: jieba.Tokenizer | None = None


def _jieba() -> jieba.Tokenizer:
    """A private jieba tokenizer, loaded once and quietly.

    Private so that words other modules add to jieba's global dictionary cannot change the
    features of a trained model.
    """
    global _tokenizer
    if _tokenizer is None:
        with _jieba_lock:
            if _tokenizer is None:
                jieba.setLogLevel(logging.WARNING)
                tokenizer = jieba.Tokenizer()
                tokenizer.initialize()
                _tokenizer = tokenizer
    return _tokenizer


def _words(text: str, chars: int) -> list[str]:
    # HMM=False: new-word discovery costs ~20 % more time and adds nothing for routing.
    return [w for w in _jieba().lcut(text[:chars], HMM=False) if _HAS_LETTER.search(w)]


def _as_is(doc: list[str]) -> list[str]:
    return doc


# ------------------------------------------------------------------------- features


_CODE_BITS = np.uint64(21)  # a code point + 1 fits in 21 bits, so a 3-gram fits in a uint64


def _ngram_codes(texts: Sequence[str], ngrams: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """The (row, code) of every character n-gram of every text, the n-gram packed as a number.

    Counting numbers with numpy is several times faster than sklearn's per-n-gram Python
    loop, and a sorted array of codes is a far more compact vocabulary than a dict.
    """
    lo, hi = ngrams
    if not 1 <= lo <= hi <= 3:
        raise ValueError(f"character n-grams must be within 1–3, not {lo}–{hi}")
    # NUL separates the texts (normalisation removed it from them): no n-gram spans two texts.
    joined = "\x00".join(texts)
    points = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    row_of = np.cumsum(points == 0)
    rows, codes = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.uint64)]
    for n in range(lo, hi + 1):
        m = points.size - n + 1
        if m <= 0:
            continue
        code = np.zeros(m, dtype=np.uint64)
        inside = np.ones(m, dtype=bool)
        for k in range(n):
            part = points[k : k + m]
            inside &= part != 0
            code = (code << _CODE_BITS) | (part + np.uint64(1))
        rows.append(row_of[:m][inside])
        codes.append(code[inside])
    return np.concatenate(rows), np.concatenate(codes)


def _count_matrix(rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int]) -> sp.csr_matrix:
    counts = sp.csr_matrix((np.ones(rows.size), (rows, cols)), shape=shape)
    counts.sum_duplicates()
    return counts


def _fit_char_counts(
    texts: Sequence[str], ngrams: Sequence[int], min_df: int
) -> tuple[np.ndarray, sp.csr_matrix]:
    rows, codes = _ngram_codes(texts, ngrams)
    vocabulary, cols = np.unique(codes, return_inverse=True)
    counts = _count_matrix(rows, cols.ravel(), (len(texts), vocabulary.size))
    keep = np.bincount(counts.indices, minlength=vocabulary.size) >= min_df
    return vocabulary[keep], counts[:, keep].tocsr()


def _char_counts(
    texts: Sequence[str], ngrams: Sequence[int], vocabulary: np.ndarray
) -> sp.csr_matrix:
    rows, codes = _ngram_codes(texts, ngrams)
    if vocabulary.size == 0:
        return sp.csr_matrix((len(texts), 0))
    cols = np.minimum(np.searchsorted(vocabulary, codes), vocabulary.size - 1)
    known = vocabulary[cols] == codes
    return _count_matrix(rows[known], cols[known], (len(texts), vocabulary.size))


_Docs = tuple[list[str], list[list[str]], list[str]]  # normalised texts, their words, heads


def _docs(texts: Sequence[str], config: Mapping[str, Any]) -> _Docs:
    norm = [_normalise(t) for t in texts]
    words = [_words(t, config["word_chars"]) for t in norm]
    heads = [_head(t, config["head_chars"]) for t in norm]
    return norm, words, heads


class _Features:
    """Turns texts into three count blocks (characters, words, head) and those into weighted
    TF-IDF rows. Character vocabularies are sorted n-gram codes, the word one a dict."""

    def __init__(self, config: Mapping[str, Any], vocabularies: Sequence[Any]):
        self.config = dict(config)
        self.vocabularies = list(vocabularies)
        self.idf: list[np.ndarray] = []
        self._word_vectorizer: CountVectorizer | None = None

    @property
    def n_features(self) -> int:
        return sum(len(v) for v in self.vocabularies)

    @classmethod
    def count_all(
        cls, docs: _Docs, config: Mapping[str, Any]
    ) -> tuple[list[Any], list[sp.csr_matrix]]:
        """Every term of ``docs`` (no ``min_df``) and the docs' counts over them.

        Counting once and then keeping the columns frequent enough in some rows gives exactly
        the vocabulary and counts a fit on those rows alone would give: cross-validation
        folds get their own vocabularies at the cost of a column mask.
        """
        norm, words, heads = docs
        char_vocabulary, char = _fit_char_counts(norm, config["char_ngrams"], 1)
        head_vocabulary, head = _fit_char_counts(heads, config["head_ngrams"], 1)
        vectorizer = CountVectorizer(analyzer=_as_is, lowercase=False)
        try:
            word = vectorizer.fit_transform(words).tocsr()
            word_terms = vectorizer.get_feature_names_out()  # in column order
        except ValueError:  # not a single word
            word, word_terms = sp.csr_matrix((len(norm), 0)), np.array([], dtype=object)
        return [char_vocabulary, word_terms, head_vocabulary], [char, word, head]

    @staticmethod
    def frequent(blocks: Sequence[sp.csr_matrix], rows: np.ndarray) -> list[np.ndarray]:
        """Per block, the columns frequent enough in ``rows`` to be in their vocabulary."""
        min_df = 2 if len(rows) >= 100 else 1  # on tiny sets every n-gram counts
        return [np.bincount(b[rows].indices, minlength=b.shape[1]) >= min_df for b in blocks]

    @classmethod
    def fit(
        cls, terms: Sequence[Any], blocks: Sequence[sp.csr_matrix], config: Mapping[str, Any]
    ) -> tuple[_Features, list[sp.csr_matrix]]:
        """The features of a model trained on all rows of ``blocks`` (from :meth:`count_all`),
        and the rows' counts over its vocabularies."""
        keep = cls.frequent(blocks, np.arange(blocks[0].shape[0]))
        char_terms, word_terms, head_terms = (t[k] for t, k in zip(terms, keep, strict=True))
        vocabularies = [char_terms, {w: i for i, w in enumerate(word_terms)}, head_terms]
        return cls(config, vocabularies), [b[:, k] for b, k in zip(blocks, keep, strict=True)]

    def count(self, docs: _Docs) -> list[sp.csr_matrix]:
        """Counts of ``docs`` over the learnt vocabularies (unknown terms are dropped)."""
        norm, words, heads = docs
        char_vocabulary, word_vocabulary, head_vocabulary = self.vocabularies
        if word_vocabulary:
            if self._word_vectorizer is None:  # built once: it validates the whole vocabulary
                self._word_vectorizer = CountVectorizer(analyzer=_as_is, vocabulary=word_vocabulary)
            word = self._word_vectorizer.transform(words)
        else:
            word = sp.csr_matrix((len(norm), 0))
        return [
            _char_counts(norm, self.config["char_ngrams"], char_vocabulary),
            word.tocsr(),
            _char_counts(heads, self.config["head_ngrams"], head_vocabulary),
        ]

    @staticmethod
    def idf_of(counts: sp.csr_matrix) -> np.ndarray:
        """sklearn's smoothed idf (0 for a term absent from ``counts``, which a vocabulary
        learnt from the same rows never has)."""
        n = counts.shape[0]
        df = np.bincount(counts.indices, minlength=counts.shape[1])
        return np.where(df > 0, np.log((1.0 + n) / (1.0 + df)) + 1.0, 0.0)

    def design(self, blocks: Sequence[sp.csr_matrix], idf: Sequence[np.ndarray]) -> sp.csr_matrix:
        """Sublinear TF-IDF per block, L2-normalised, weighted, side by side."""
        parts = []
        for counts, block_idf, weight in zip(blocks, idf, self.config["weights"], strict=True):
            x = counts.astype(np.float64)
            x.data = (1.0 + np.log(x.data)) * block_idf[x.indices]
            x = normalize(x, copy=False)
            parts.append(x * weight)
        return sp.hstack(parts, format="csr")

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        return self.design(self.count(_docs(texts, self.config)), self.idf)


# ---------------------------------------------------------------------------- model


def _scale_columns(x: sp.csr_matrix, factors: np.ndarray) -> sp.csr_matrix:
    # Several times faster than x @ diags(factors), which goes through a sparse product.
    scaled = x.copy()
    scaled.data *= factors[scaled.indices]
    return scaled


def _fit_nbsvm(
    x: sp.csr_matrix, y: np.ndarray, n_labels: int, config: Mapping[str, Any], n_jobs: int
) -> tuple[np.ndarray, np.ndarray]:
    """One-vs-rest NBSVM: the weights (labels × features, NB ratios folded in) and biases."""
    present = x.copy()
    present.data[:] = 1.0
    onehot = sp.csr_matrix((np.ones(len(y)), (y, np.arange(len(y)))), shape=(n_labels, len(y)))
    per_label = np.asarray((onehot @ present).todense())
    total = per_label.sum(axis=0)
    alpha = config["nb_alpha"]

    def fit_one(label: int) -> tuple[np.ndarray, float]:
        positive = y == label
        if not positive.any() or positive.all():
            # A label missing from a cross-validation fold cannot be predicted there.
            return np.zeros(x.shape[1]), -10.0 if not positive.any() else 10.0
        p = alpha + per_label[label]
        q = alpha + (total - per_label[label])
        ratio = np.log(p / p.sum()) - np.log(q / q.sum())
        svm = LinearSVC(C=config["svm_c"], random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            svm.fit(_scale_columns(x, ratio), positive)
        return ratio * svm.coef_[0], float(svm.intercept_[0])

    if n_jobs <= 1:
        fitted = [fit_one(label) for label in range(n_labels)]
    else:  # liblinear releases the GIL, so threads fit labels in parallel without copies
        with ThreadPoolExecutor(max_workers=n_jobs) as pool:
            fitted = list(pool.map(fit_one, range(n_labels)))
    weights = np.vstack([w for w, _ in fitted])
    bias = np.array([b for _, b in fitted])
    return weights, bias


def _calibration_features(scores: np.ndarray) -> np.ndarray:
    """Top score and its margin over the runner-up: together they rank correctness best."""
    ordered = np.sort(scores, axis=1)
    return np.column_stack([ordered[:, -1], ordered[:, -1] - ordered[:, -2]])


def _fit_calibrator(features: np.ndarray, correct: np.ndarray) -> tuple[np.ndarray, float]:
    # Two pseudo-observations (a tie is wrong, the clearest case right) anchor the fit and let
    # it work when cross-validation made no mistakes at all, as on small clean data.
    anchors = np.array([[features[:, 0].min(), 0.0], features.max(axis=0)])
    x = np.vstack([features, anchors])
    y = np.concatenate([correct.astype(int), [0, 1]])
    model = LogisticRegression(C=1.0).fit(x, y)
    return model.coef_[0].astype(np.float64), float(model.intercept_[0])


def _calibrated(features: np.ndarray, calibrator: tuple[np.ndarray, float]) -> np.ndarray:
    coef, intercept = calibrator
    # Elementwise rather than a matrix product: BLAS may round differently for one row than
    # for many, and a text's confidence should not depend on the batch it came in.
    z = features[:, 0] * coef[0] + features[:, 1] * coef[1] + intercept
    return 1.0 / (1.0 + np.exp(-np.clip(z, -500, 500)))


def threshold_for_precision(
    confidences: Sequence[float] | np.ndarray,
    correct: Sequence[bool] | np.ndarray,
    target: float = TARGET_PRECISION,
    *,
    z: float = 0.0,
) -> float:
    """The smallest confidence ``t`` such that predictions with confidence ≥ ``t`` are right
    at least ``target`` of the time; ``inf`` (never dispatch) if no ``t`` achieves it.

    With ``z`` > 0 it is the Wilson lower bound of that precision (one-sided, ``z`` standard
    errors: 1 ≈ 84 % confidence) that must reach ``target``, not the observed share. That
    leaves headroom for the sampling error of the data the threshold is chosen on, and
    needs about 35 right predictions at z=1 before anything qualifies at 97 %.
    """
    conf = np.asarray(confidences, dtype=np.float64)
    ok = np.asarray(correct, dtype=bool)
    if conf.size == 0:
        return math.inf
    order = np.argsort(-conf, kind="stable")
    conf, ok = conf[order], ok[order]
    n = np.arange(1, conf.size + 1)
    precision = np.cumsum(ok) / n
    if z > 0:
        z2 = z * z
        spread = z * np.sqrt(precision * (1 - precision) / n + z2 / (4 * n * n))
        precision = (precision + z2 / (2 * n) - spread) / (1 + z2 / n)
    # A cut is only possible after the last of a run of equal confidences.
    at_cut = np.append(conf[1:] != conf[:-1], True)
    good = np.flatnonzero(at_cut & (precision >= target))
    return float(conf[good[-1]]) if good.size else math.inf


class TicketClassifier:
    """A category classifier trained on closed tickets; see the module docstring.

    Build with :meth:`train` or :meth:`load`. ``threshold`` is the auto-dispatch confidence;
    ``metrics`` holds the cross-validated figures it was chosen on.
    """

    def __init__(
        self,
        *,
        labels: Sequence[str],
        features: _Features,
        weights: np.ndarray,
        bias: np.ndarray,
        calibrator: tuple[np.ndarray, float],
        threshold: float,
        target_precision: float,
        trained_at: str,
        n_samples: int,
        metrics: Mapping[str, Any],
    ):
        self.labels = list(labels)
        self._features = features
        self._weights = weights
        self._weights_t = np.ascontiguousarray(weights.T, dtype=np.float64)  # for x @ w
        self._bias = bias
        self._calibrator = calibrator
        self.threshold = float(threshold)
        self.target_precision = float(target_precision)
        self.trained_at = trained_at
        self.n_samples = int(n_samples)
        self.metrics = dict(metrics)

    def __repr__(self) -> str:
        return (
            f"<TicketClassifier {len(self.labels)} labels, {self.n_samples} samples, "
            f"threshold={self.threshold:.3f}, trained {self.trained_at}>"
        )

    # -------------------------------------------------------------- training

    @classmethod
    def train(
        cls,
        texts: Sequence[str],
        labels: Sequence[str],
        *,
        target_precision: float = TARGET_PRECISION,
        precision_z: float = 1.0,
        folds: int = 5,
        seed: int = 0,
        n_jobs: int = 1,
    ) -> TicketClassifier:
        """Train on ``texts`` (see :func:`text_of`) and their ``labels``.

        The confidence calibrator and the auto-dispatch threshold come from ``folds``-fold
        cross-validated predictions on the same data, so the threshold's precision is an
        out-of-sample estimate. The threshold is the smallest confidence at which the Wilson
        lower bound (``precision_z`` standard errors) of that precision reaches
        ``target_precision``. With ``precision_z=0`` the observed precision must reach it,
        which is right on average but misses the target on about half of new samples.
        ``n_jobs`` > 1 fits the labels' SVMs in threads: faster on
        an idle machine, but liblinear's process-wide random generator then makes results
        differ in the last digits from run to run; 1 is reproducible. Raises
        :class:`DataError` for fewer than ``MIN_ROWS`` texts or a single label.
        """
        texts = [str(t) for t in texts]
        labels = [str(label) for label in labels]
        if len(texts) != len(labels):
            raise DataError(f"{len(texts)} texts but {len(labels)} labels")
        if len(texts) < MIN_ROWS:
            raise DataError(f"{len(texts)} labelled texts; at least {MIN_ROWS} are needed")
        names, y = np.unique(np.asarray(labels, dtype=object), return_inverse=True)
        if len(names) < 2:
            raise DataError(f"only one label ({names[0]}); at least two are needed")

        docs = _docs(texts, _CONFIG)  # segmentation once: the slowest step
        terms, all_counts = _Features.count_all(docs, _CONFIG)
        scores = cls._cross_val_scores(all_counts, y, len(names), folds, seed, n_jobs)
        predicted = scores.argmax(axis=1)
        correct = predicted == y
        cal_features = _calibration_features(scores)
        calibrator = _fit_calibrator(cal_features, correct)
        confidence = _calibrated(cal_features, calibrator)
        threshold = threshold_for_precision(confidence, correct, target_precision, z=precision_z)
        auto = confidence >= threshold
        metrics = {
            "cv_folds": int(min(folds, max(2, np.bincount(y).min()))),
            "threshold_z": float(precision_z),
            # For reference: the threshold the observed precision alone would give.
            "threshold_at_z0": threshold_for_precision(confidence, correct, target_precision),
            "cv_accuracy": float(correct.mean()),
            "cv_macro_f1": float(f1_score(y, predicted, average="macro")),
            "cv_auto_share": float(auto.mean()),
            "cv_auto_precision": float(correct[auto].mean()) if auto.any() else math.nan,
        }

        features, blocks = _Features.fit(terms, all_counts, _CONFIG)
        features.idf = [_Features.idf_of(b) for b in blocks]
        weights, bias = _fit_nbsvm(
            features.design(blocks, features.idf), y, len(names), _CONFIG, n_jobs
        )
        return cls(
            labels=[str(n) for n in names],
            features=features,
            weights=weights.astype(np.float32),
            bias=bias,
            calibrator=calibrator,
            threshold=threshold,
            target_precision=target_precision,
            trained_at=datetime.now(UTC).isoformat(timespec="seconds"),
            n_samples=len(texts),
            metrics=metrics,
        )

    @staticmethod
    def _cross_val_scores(
        counts: list[sp.csr_matrix],
        y: np.ndarray,
        n_labels: int,
        folds: int,
        seed: int,
        n_jobs: int,
    ) -> np.ndarray:
        """Out-of-fold label scores. Each fold repeats the whole fit (vocabulary, idf, NB
        ratios, SVMs) on its training rows only, exactly as for the final model."""
        n_splits = min(folds, max(2, int(np.bincount(y).min())))
        splitter = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
        scores = np.zeros((len(y), n_labels))
        with warnings.catch_warnings():
            # Labels rarer than the fold count are fine: they are simply absent from some folds.
            warnings.filterwarnings("ignore", message="The least populated class")
            try:
                splits = list(splitter.split(np.zeros(len(y)), y))
            except ValueError as exc:  # e.g. every label has a single row
                raise DataError(f"too few rows per label to cross-validate: {exc}") from exc
        design = _Features(_CONFIG, []).design
        for fit_rows, test_rows in splits:
            keep = _Features.frequent(counts, fit_rows)
            fit_blocks = [c[fit_rows][:, k] for c, k in zip(counts, keep, strict=True)]
            idf = [_Features.idf_of(b) for b in fit_blocks]
            w, b = _fit_nbsvm(design(fit_blocks, idf), y[fit_rows], n_labels, _CONFIG, n_jobs)
            test_blocks = [c[test_rows][:, k] for c, k in zip(counts, keep, strict=True)]
            scores[test_rows] = design(test_blocks, idf) @ w.T + b
        return scores

    # ------------------------------------------------------------ prediction

    def _confidences(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        x = self._features.transform(texts)
        scores = np.asarray(x @ self._weights_t) + self._bias
        return scores.argmax(axis=1), _calibrated(_calibration_features(scores), self._calibrator)

    def predict_many(self, texts: Iterable[str]) -> list[Prediction]:
        """Predictions for many texts at once (much faster than one by one)."""
        texts = [str(t) for t in texts]
        if not texts:
            return []
        best, confidence = self._confidences(texts)
        return [
            Prediction(self.labels[i], float(c), bool(c >= self.threshold))
            for i, c in zip(best, confidence, strict=True)
        ]

    def predict(self, text: str) -> Prediction:
        """One text's proposed label, confidence in [0, 1], and whether to auto-dispatch."""
        return self.predict_many([text])[0]

    # ----------------------------------------------------------- persistence

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the model to ``path`` (parent directories are created) and return the path.

        The file is a joblib pickle of plain dicts and numpy arrays only, so it does not depend
        on scikit-learn's version. Like any pickle it must come from a trusted place.
        """
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        state = {
            "format": _FORMAT,
            "version": _FORMAT_VERSION,
            "labels": self.labels,
            "config": self._features.config,
            "vocabularies": self._features.vocabularies,
            "idf": self._features.idf,
            "weights": self._weights,
            "bias": self._bias,
            "calibrator": (self._calibrator[0], self._calibrator[1]),
            "threshold": self.threshold,
            "target_precision": self.target_precision,
            "trained_at": self.trained_at,
            "n_samples": self.n_samples,
            "metrics": self.metrics,
        }
        tmp = path.with_name(path.name + ".tmp")
        joblib.dump(state, tmp, compress=3)
        tmp.replace(path)  # atomic: a reader never sees a half-written model
        return path

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> TicketClassifier:
        """Read a model written by :meth:`save`; :class:`ClassifierFileError` if it is missing,
        corrupt, or of another format version."""
        path = Path(path)
        if not path.is_file():
            raise ClassifierFileError(f"{path}: no such classifier file")
        try:
            state = joblib.load(path)
        except Exception as exc:  # pickle/zlib/EOF errors: all mean "not a usable file"
            raise ClassifierFileError(
                f"{path}: not a readable ticket classifier file ({type(exc).__name__}: {exc})"
            ) from exc
        if not isinstance(state, dict) or state.get("format") != _FORMAT:
            raise ClassifierFileError(f"{path}: not a ticket classifier file")
        if state.get("version") != _FORMAT_VERSION:
            raise ClassifierFileError(
                f"{path}: classifier file format {state.get('version')!r}; this code reads "
                f"format {_FORMAT_VERSION}. Retrain with `manage.py classifier train`."
            )
        try:
            features = _Features(state["config"], state["vocabularies"])
            features.idf = [np.asarray(i, dtype=np.float64) for i in state["idf"]]
            weights = np.asarray(state["weights"])
            bias = np.asarray(state["bias"], dtype=np.float64)
            coef, intercept = state["calibrator"]
            model = cls(
                labels=state["labels"],
                features=features,
                weights=weights,
                bias=bias,
                calibrator=(np.asarray(coef, dtype=np.float64), float(intercept)),
                threshold=state["threshold"],
                target_precision=state["target_precision"],
                trained_at=state["trained_at"],
                n_samples=state["n_samples"],
                metrics=state["metrics"],
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ClassifierFileError(f"{path}: incomplete classifier file ({exc})") from exc
        expected = (len(model.labels), features.n_features)
        if weights.shape != expected or bias.shape != (len(model.labels),):
            raise ClassifierFileError(
                f"{path}: inconsistent classifier file (weights {weights.shape}, "
                f"expected {expected})"
            )
        return model


# ----------------------------------------------------------------------- cold start

_LEXICON = {
    "物业管理": (
        "物业 物业费 物业公司 业委会 业主委员会 小区管理 保安 门禁 停车位 车位 楼道 保洁 公共部位"
    ),
    "供暖": "供暖 暖气 供热 采暖 暖气片 不热 室温 取暖费 供暖费 热力公司 锅炉",
    "环境卫生": "垃圾 清运 清扫 卫生 脏乱 异味 臭味 乱堆 乱放 垃圾桶 公厕 污水 油烟 蚊虫 老鼠",
    "养老服务": (
        "养老 老人 老年人 独居 空巢 高龄 助餐 助浴 养老院 敬老院 日间照料 居家养老 老年食堂"
    ),
    "助残服务": "残疾 残疾人 残疾证 残联 轮椅 盲人 盲道 聋哑 助残 无障碍 辅具 智障",
    "儿童关爱": "儿童 孩子 留守儿童 困境儿童 未成年 未成年人 儿童之家 小孩 幼儿 虐待",
    "就业服务": "就业 招聘 失业 找工作 求职 技能培训 欠薪 拖欠工资 工资 劳动合同 岗位 务工",
    "社会保障": (
        "社保 养老保险 医保 医疗保险 社保卡 退休金 养老金 缴费 资格认证 公积金 工伤 生育保险"
    ),
    "社会救助": "低保 救助 特困 困难户 临时救助 补助 五保 贫困",
    "医疗卫生": "医院 看病 医生 就医 疫苗 卫生站 卫生服务中心 诊所 家庭医生 门诊 药店 体检 护士",
    "安全隐患": (
        "隐患 安全隐患 燃气 漏气 煤气 消防 消防通道 着火 火灾 危房 电线 私拉电线 飞线 充电 "
        "电动车 坍塌 高空坠物"
    ),
    "矛盾纠纷": "纠纷 矛盾 吵架 打架 邻居 邻里 调解 噪音 扰民 威胁 家暴",
    "设施维修": "维修 修理 损坏 坏了 破损 路灯 井盖 坑 道路 健身器材 下水道 堵塞 漏水 水管 电梯",
    "政务咨询": "咨询 请问 怎么办理 如何办理 办理 手续 材料 证明 流程 户口 政策 需要什么",
    "退役军人服务": "退役 退役军人 军人 优待证 优抚 老兵 复员 转业",
    "教育托育": "入学 学校 托育 托儿所 幼儿园 课后服务 学位 转学 学生 老师",
}
DEFAULT_LEXICON: dict[str, tuple[str, ...]] = {k: tuple(v.split()) for k, v in _LEXICON.items()}
"""Cold-start keywords of the starting catalogue (``shequ.tickets.catalogue``), by category
name. A keyword belongs to one category; the longest keyword wins where they overlap
(养老保险 is 社会保障, not 养老服务)."""


class KeywordClassifier:
    """Cold start: counts lexicon keywords in the text (longest match first).

    The label is the category with most hits; the confidence is ``hits / (all hits + 1)``, so
    one hit gives 0.5 and it approaches 1 only as consistent evidence accumulates. With the
    default threshold 0.8 a ticket is auto-dispatched only with at least four hits, all for
    one category: without closed tickets there is no way to measure precision, so the cold
    start is deliberately timid. A text without any keyword gets ``fallback`` at confidence 0.
    """

    def __init__(
        self,
        lexicon: Mapping[str, Iterable[str]] | None = None,
        *,
        threshold: float = 0.8,
        fallback: str = "政务咨询",
    ):
        lexicon = DEFAULT_LEXICON if lexicon is None else lexicon
        self.labels = list(lexicon)
        if not self.labels:
            raise ValueError("empty lexicon")
        self.threshold = float(threshold)
        self.fallback = fallback
        self._category: dict[str, str] = {}
        for label, words in lexicon.items():
            for word in words:
                word = _normalise(word).strip()
                if word and self._category.setdefault(word, label) != label:
                    raise ValueError(f"keyword {word!r} is listed under two categories")
        if not self._category:
            raise ValueError("lexicon has no keywords")
        # Longest first: at each position the regex takes the first alternative that matches.
        alternatives = sorted(self._category, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, alternatives)))

    def hits(self, text: str) -> dict[str, int]:
        """Keyword hits per category (categories without hits are left out)."""
        counts: dict[str, int] = {}
        for match in self._pattern.finditer(_normalise(text)):
            label = self._category[match.group()]
            counts[label] = counts.get(label, 0) + 1
        return counts

    def predict(self, text: str) -> Prediction:
        """The category with most keyword hits (ties: lexicon order)."""
        counts = self.hits(text)
        if not counts:
            return Prediction(self.fallback, 0.0, False)
        order = {label: i for i, label in enumerate(self.labels)}
        label = max(counts, key=lambda k: (counts[k], -order[k]))
        confidence = counts[label] / (sum(counts.values()) + 1)
        return Prediction(label, confidence, confidence >= self.threshold)

    def predict_many(self, texts: Iterable[str]) -> list[Prediction]:
        return [self.predict(t) for t in texts]


def load_or_cold_start(path: str | os.PathLike[str] | None) -> TicketClassifier | KeywordClassifier:
    """The trained model at ``path`` if the file exists, else the keyword cold start.

    A file that exists but cannot be read raises :class:`ClassifierFileError` rather than
    silently falling back.
    """
    if path is not None and Path(path).exists():
        return TicketClassifier.load(path)
    return KeywordClassifier()


# ----------------------------------------------------------------------- evaluation


@dataclass(frozen=True)
class Metrics:
    """Figures of a classifier on a labelled set.

    ``auto_share``/``auto_precision`` use the classifier's own threshold (chosen on its
    training data): the honest estimate. ``oracle_*`` choose the threshold on this very set,
    an optimistic reference only.
    """

    n: int
    accuracy: float
    macro_f1: float
    per_label_f1: dict[str, float]
    support: dict[str, int]
    threshold: float
    auto_share: float
    auto_precision: float
    oracle_threshold: float
    oracle_auto_share: float
    target_precision: float = TARGET_PRECISION

    def summary(self) -> str:
        """The one-line summary the ``classifier evaluate`` command ends with."""
        return (
            f"accuracy={self.accuracy:.4f} macro_f1={self.macro_f1:.4f} "
            f"auto_share_at_{round(self.target_precision * 100)}={self.auto_share:.4f}"
        )

    def report(self) -> list[str]:
        """Human-readable lines, ending with :meth:`summary`."""
        pct = round(self.target_precision * 100)
        lines = [
            f"held-out tickets: {self.n}",
            f"accuracy: {self.accuracy:.4f}",
            f"macro-F1: {self.macro_f1:.4f}",
            "per-label F1:",
        ]
        width = max((len(k) for k in self.per_label_f1), default=0)
        for label, f1 in self.per_label_f1.items():
            padded = label.ljust(width, "\u3000")  # full-width space aligns Chinese labels
            lines.append(f"  {padded}  {f1:.4f}  (n={self.support[label]})")
        lines += [
            f"auto-dispatch threshold (from training-set cross-validation): {self.threshold:.4f}",
            f"auto-dispatched share at {pct}% target: {self.auto_share:.4f} "
            f"(precision of auto-dispatched: {self.auto_precision:.4f})",
            f"oracle auto share at {pct}% (threshold {self.oracle_threshold:.4f} chosen on this "
            f"set; reference only): {self.oracle_auto_share:.4f}",
            self.summary(),
        ]
        return lines


def evaluate(
    classifier: Classifier,
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    target_precision: float = TARGET_PRECISION,
) -> Metrics:
    """Score ``classifier`` (anything with ``predict_many`` and ``threshold``) on labelled texts."""
    truth = [str(label) for label in labels]
    if not truth or len(truth) != len(texts):
        raise DataError("evaluate needs as many labels as texts, and at least one")
    predictions = classifier.predict_many(texts)
    predicted = [p.label for p in predictions]
    confidence = np.array([p.confidence for p in predictions])
    correct = np.array([p == t for p, t in zip(predicted, truth, strict=True)])
    auto = np.array([p.auto for p in predictions])
    names = sorted(set(truth))
    f1 = f1_score(truth, predicted, labels=names, average=None, zero_division=0)
    oracle = threshold_for_precision(confidence, correct, target_precision)
    return Metrics(
        n=len(truth),
        accuracy=float(correct.mean()),
        macro_f1=float(f1.mean()),
        per_label_f1={n: float(v) for n, v in zip(names, f1, strict=True)},
        support={n: truth.count(n) for n in names},
        threshold=float(getattr(classifier, "threshold", math.nan)),
        auto_share=float(auto.mean()),
        auto_precision=float(correct[auto].mean()) if auto.any() else math.nan,
        oracle_threshold=oracle,
        oracle_auto_share=float((confidence >= oracle).mean()),
        target_precision=target_precision,
    )


# ----------------------------------------------------------------------------- data


def read_labelled_csv(path: str | os.PathLike[str]) -> tuple[list[str], list[str]]:
    """Texts (:func:`text_of` of ``subject``, ``detail``) and labels of a CSV file.

    Rows without a label or without any text are skipped. Raises :class:`DataError` if the file
    is missing or unreadable, lacks a column, or has fewer than ``MIN_ROWS`` usable rows or a
    single label.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    texts: list[str] = []
    labels: list[str] = []
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            reader = csv.DictReader(f)
            missing = {"subject", "detail", "label"} - set(reader.fieldnames or ())
            if missing:
                raise DataError(
                    f"{path}: missing column(s) {', '.join(sorted(missing))}; "
                    "expected subject, detail, label"
                )
            for row in reader:
                text = text_of(row.get("subject"), row.get("detail"))
                label = (row.get("label") or "").strip()
                if text and label:
                    texts.append(text)
                    labels.append(label)
    except (UnicodeDecodeError, csv.Error) as exc:
        raise DataError(f"{path}: not a UTF-8 CSV file ({exc})") from exc
    if len(texts) < MIN_ROWS:
        raise DataError(f"{path}: {len(texts)} usable rows; at least {MIN_ROWS} are needed")
    if len(set(labels)) < 2:
        raise DataError(f"{path}: a single label ({labels[0]}); at least two are needed")
    return texts, labels


def holdout_split(
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    test_size: float = 0.2,
    seed: int = HOLDOUT_SEED,
) -> tuple[list[str], list[str], list[str], list[str]]:
    """A fixed stratified split: ``(train_texts, train_labels, test_texts, test_labels)``.

    Labels with a single row cannot be stratified; they go to the training part.
    """
    labels = [str(label) for label in labels]
    counts: dict[str, int] = {}
    for label in labels:
        counts[label] = counts.get(label, 0) + 1
    rows = np.arange(len(labels))
    single = np.array([counts[label] == 1 for label in labels], dtype=bool)
    try:
        train, test = train_test_split(
            rows[~single],
            test_size=test_size,
            stratify=[labels[i] for i in rows[~single]],
            random_state=seed,
        )
    except ValueError as exc:  # e.g. fewer test rows than labels
        raise DataError(f"cannot hold out a stratified {test_size:.0%}: {exc}") from exc
    train = np.concatenate([train, rows[single]])
    return (
        [texts[i] for i in train],
        [labels[i] for i in train],
        [texts[i] for i in test],
        [labels[i] for i in test],
    )
