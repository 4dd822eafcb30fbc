"""Train and evaluate the ticket classifier (``shequ.tickets.classifier``).

    manage.py classifier train closed.csv [--out MODEL]
    manage.py classifier evaluate closed.csv [--model MODEL]

The CSV (UTF-8) has columns ``subject, detail, label``; others are ignored. ``MODEL`` defaults
to the ``TICKET_CLASSIFIER_PATH`` setting, else ``var/classifier.joblib`` under ``BASE_DIR``.
``evaluate`` with ``--model`` scores that model on the whole file; without it, it splits the
file 80/20 (stratified, fixed seed), trains on the 80 % and scores the 20 %, like
``benchmarks/classify.py``. Its last line is
``accuracy=0.xxxx macro_f1=0.xxxx auto_share_at_97=0.xxxx``.

Running processes keep the model they loaded: restart them after training.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from shequ.tickets.classifier import (
    ClassifierFileError,
    DataError,
    TicketClassifier,
    evaluate,
    holdout_split,
    read_labelled_csv,
)


def default_model_path() -> Path:
    """``settings.TICKET_CLASSIFIER_PATH``, else ``BASE_DIR/var/classifier.joblib``."""
    path = getattr(settings, "TICKET_CLASSIFIER_PATH", None)
    if path:
        return Path(path)
    return Path(getattr(settings, "BASE_DIR", Path.cwd())) / "var" / "classifier.joblib"


class Command(BaseCommand):
    help = "工单智能分类模型：用已办结工单训练（train）、评估（evaluate）"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        train = sub.add_parser("train", help="训练并保存模型；CSV 列：subject, detail, label")
        train.add_argument("file", type=Path)
        train.add_argument("--out", type=Path, default=None, help="模型文件（默认见设置）")
        check = sub.add_parser(
            "evaluate", help="评估：给 --model 则评估该模型，否则按 80/20 划分、训练、评估"
        )
        check.add_argument("file", type=Path)
        check.add_argument("--model", type=Path, default=None, help="已训练的模型文件")

    def handle(self, *args, action: str, **options):
        try:
            if action == "train":
                self._train(options["file"], options["out"] or default_model_path())
            else:
                self._evaluate(options["file"], options["model"])
        except (DataError, ClassifierFileError) as exc:
            raise CommandError(str(exc)) from None
        except OSError as exc:
            raise CommandError(f"{exc.filename or ''}: {exc.strerror or exc}") from None

    def _fit(self, texts: list[str], labels: list[str]) -> TicketClassifier:
        started = time.monotonic()
        model = TicketClassifier.train(texts, labels)
        m = model.metrics
        self.stdout.write(
            f"trained on {model.n_samples} tickets, {len(model.labels)} labels "
            f"in {time.monotonic() - started:.1f}s"
        )
        self.stdout.write(
            f"cross-validated ({m['cv_folds']} folds): accuracy={m['cv_accuracy']:.4f} "
            f"macro_f1={m['cv_macro_f1']:.4f} auto_share={m['cv_auto_share']:.4f} "
            f"auto_precision={m['cv_auto_precision']:.4f}"
        )
        if math.isinf(model.threshold):
            self.stderr.write(
                f"no confidence reaches {model.target_precision:.0%} precision: "
                "every ticket will wait for a dispatcher"
            )
        else:
            self.stdout.write(f"auto-dispatch threshold: {model.threshold:.4f}")
        return model

    def _train(self, file: Path, out: Path) -> None:
        texts, labels = read_labelled_csv(file)
        model = self._fit(texts, labels)
        self.stdout.write(f"saved to {model.save(out)}")

    def _evaluate(self, file: Path, model_path: Path | None) -> None:
        texts, labels = read_labelled_csv(file)
        if model_path is not None:
            model = TicketClassifier.load(model_path)
            self.stdout.write(f"model {model_path}: {model!r}")
        else:
            train_texts, train_labels, texts, labels = holdout_split(texts, labels)
            self.stdout.write(
                f"split {file}: {len(train_texts)} to train, {len(texts)} held out "
                "(stratified 80/20, fixed seed)"
            )
            model = self._fit(train_texts, train_labels)
        for line in evaluate(model, texts, labels).report():
            self.stdout.write(line)
