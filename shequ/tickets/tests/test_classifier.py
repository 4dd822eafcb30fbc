"""The ticket classifier: training, confidence, threshold, cold start, persistence, command.

Everything runs on a small synthetic set of templated requests (no real data), so the module
trains once in about a second.
"""

from __future__ import annotations

import csv
import math
import random
import re
from pathlib import Path

import joblib
import numpy as np
import pytest
from django.core.management import CommandError, call_command
from hypothesis import given, settings
from hypothesis import strategies as st

from shequ.tickets.classifier import (
    DEFAULT_LEXICON,
    ClassifierFileError,
    DataError,
    KeywordClassifier,
    Prediction,
    TicketClassifier,
    evaluate,
    holdout_split,
    load_or_cold_start,
    read_labelled_csv,
    text_of,
    threshold_for_precision,
)

# ------------------------------------------------------------------ synthetic data

PLACES = ["幸福小区", "泰安社区", "新苑小区", "光明街", "仙城花园", "东方家园", "三号楼", "和平里"]
OPENERS = ["您好，", "领导好！", "", "我想反映一下，", "麻烦问一下，", "急！"]
CLOSERS = ["请尽快处理。", "希望有人管管。", "谢谢！", "", "盼回复。", "已经好几天了。"]
TOPICS = {
    "供暖": [
        "家里暖气一点都不热",
        "暖气片是凉的，室温只有十二度",
        "供暖公司一直不来供热",
        "暖气管道漏水没人修",
        "交了取暖费还是不热",
    ],
    "环境卫生": [
        "垃圾堆了一周没人清运",
        "楼下垃圾桶满了发臭",
        "路边乱堆建筑垃圾",
        "公厕很脏没人打扫",
        "垃圾站异味很大",
    ],
    "养老服务": [
        "独居老人没人照顾",
        "社区老年食堂什么时候开",
        "高龄老人想申请助餐",
        "老人想去日间照料中心",
        "老年人居家养老服务怎么申请",
    ],
    "安全隐患": [
        "楼道里私拉电线给电动车充电",
        "消防通道被车堵死了",
        "闻到燃气泄漏的味道",
        "墙体开裂像是危房",
        "楼顶有东西随时会掉下来",
    ],
}


def requests(n_per_label: int, seed: int) -> tuple[list[str], list[str]]:
    """Templated requests: opener + place + topic phrase + closer, as subject/detail pairs."""
    rng = random.Random(seed)
    texts, labels = [], []
    for label, phrases in TOPICS.items():
        for _ in range(n_per_label):
            phrase, place = rng.choice(phrases), rng.choice(PLACES)
            detail = f"{rng.choice(OPENERS)}{place}{phrase}，{rng.choice(CLOSERS)}"
            subject = f"{place}{phrase[:6]}" if rng.random() < 0.5 else ""
            texts.append(text_of(subject, detail))
            labels.append(label)
    return texts, labels


@pytest.fixture(scope="module")
def data():
    return requests(30, seed=1)


@pytest.fixture(scope="module")
def model(data):
    return TicketClassifier.train(*data, n_jobs=1)


def write_csv(path: Path, rows: list[dict[str, str]], fields=("subject", "detail", "label")):
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(fields), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture
def tickets_csv(tmp_path):
    texts, labels = requests(20, seed=2)
    rows = []
    for text, label in zip(texts, labels, strict=True):
        subject, _, detail = text.rpartition("\n")
        rows.append({"subject": subject, "detail": detail, "label": label})
    return write_csv(tmp_path / "tickets.csv", rows)


# ------------------------------------------------------------------------- text


def test_text_puts_the_subject_on_the_first_line_and_tolerates_blanks():
    assert text_of("暖气不热", "家里  暖气\n不热") == "暖气不热\n家里 暖气 不热"
    assert text_of("", "只有正文") == "只有正文"
    assert text_of(None, None) == ""


# ----------------------------------------------------------------------- training


def test_a_trained_model_predicts_unseen_requests(model):
    texts, labels = requests(10, seed=99)
    predicted = [p.label for p in model.predict_many(texts)]
    accuracy = np.mean([p == t for p, t in zip(predicted, labels, strict=True)])
    assert accuracy >= 0.95
    assert model.predict("三号楼暖气片冰凉，室温太低").label == "供暖"
    assert model.labels == sorted(TOPICS)
    assert model.n_samples == 120


@given(st.text(max_size=300))
@settings(max_examples=25, deadline=None)
def test_confidence_is_a_probability_for_any_text(model, text):
    prediction = model.predict(text)
    assert prediction.label in model.labels
    assert 0.0 <= prediction.confidence <= 1.0
    assert prediction.auto == (prediction.confidence >= model.threshold)


def test_predict_many_agrees_with_predict(model):
    texts, _ = requests(2, seed=5)
    assert model.predict_many(texts) == [model.predict(t) for t in texts]
    assert model.predict_many([]) == []


def test_the_stored_threshold_keeps_cross_validated_precision(model):
    m = model.metrics
    assert 0.0 <= model.threshold <= 1.0
    assert m["cv_auto_share"] > 0.5 and m["cv_auto_precision"] >= 0.97
    assert model.target_precision == 0.97


def test_training_refuses_too_little_data_or_a_single_label():
    with pytest.raises(DataError, match="at least"):
        TicketClassifier.train(["暖气不热"] * 3, ["供暖"] * 3)
    with pytest.raises(DataError, match="one label"):
        TicketClassifier.train(["暖气不热"] * 12, ["供暖"] * 12)


def test_labels_without_repeats_cannot_be_validated():
    texts = [f"第{i}件事：暖气不热" for i in range(12)]
    with pytest.raises(DataError, match="cross-validate"):
        TicketClassifier.train(texts, [f"类别{i}" for i in range(12)])
    with pytest.raises(DataError, match="stratified"):
        holdout_split(texts * 2, [f"类别{i}" for i in range(12)] * 2)  # 4 held out, 12 labels


def test_a_rare_label_does_not_break_cross_validation():
    texts, labels = requests(12, seed=3)
    model = TicketClassifier.train(
        [*texts, "社区办证大厅几点开门"], [*labels, "政务咨询"], n_jobs=1
    )
    assert "政务咨询" in model.labels


# --------------------------------------------------------------------- threshold


def test_threshold_is_the_smallest_confidence_that_keeps_precision():
    conf = [0.99, 0.95, 0.9, 0.8, 0.7, 0.6]
    right = [True, True, True, True, False, False]
    assert threshold_for_precision(conf, right, 0.97) == 0.8
    assert threshold_for_precision(conf, right, 0.8) == 0.7  # 4 of 5 right
    assert threshold_for_precision(conf, right, 0.6) == 0.6  # 4 of 6 right
    assert threshold_for_precision([0.9, 0.8], [False, True], 0.97) == math.inf
    assert threshold_for_precision([], [], 0.97) == math.inf


def test_a_lower_bound_leaves_headroom_for_sampling_error():
    conf = np.linspace(1, 0, 1000, endpoint=False)
    right = np.ones(1000, dtype=bool)
    right[500::17] = False  # none wrong in the top half, 30 below: 97 % right overall
    point = threshold_for_precision(conf, right, 0.97)
    bounded = threshold_for_precision(conf, right, 0.97, z=1.0)
    assert point == conf[-1] and point < bounded < 1
    # 30 right out of 30 is not enough evidence for 97 % at z=1; 40 of 40 is.
    assert threshold_for_precision(np.ones(30), np.ones(30, bool), 0.97, z=1.0) == math.inf
    assert threshold_for_precision(np.ones(40), np.ones(40, bool), 0.97, z=1.0) == 1.0


def test_threshold_never_cuts_between_equal_confidences():
    # At 0.9 the cut must take all three or none: all three is 2/3.
    assert threshold_for_precision([0.95, 0.9, 0.9, 0.9], [True, True, False, True], 0.97) == 0.95


@given(
    st.lists(
        st.tuples(st.sampled_from([0.1, 0.3, 0.5, 0.7, 0.9, 1.0]), st.booleans()), max_size=60
    ),
    st.sampled_from([0.5, 0.9, 0.97]),
)
@settings(max_examples=60)
def test_threshold_property(pairs, target):
    """The threshold qualifies, no lower observed confidence does, and z > 0 is stricter."""
    conf = np.array([c for c, _ in pairs])
    right = np.array([r for _, r in pairs], dtype=bool)
    t = threshold_for_precision(conf, right, target)

    def precision_at(x):
        chosen = conf >= x
        return right[chosen].mean() if chosen.any() else None

    if math.isinf(t):
        assert all(precision_at(c) < target for c in set(conf))
    else:
        assert precision_at(t) >= target
        assert all(precision_at(c) < target for c in set(conf) if c < t)
    assert threshold_for_precision(conf, right, target, z=1.0) >= t


# --------------------------------------------------------------------- cold start


def test_the_lexicon_covers_the_catalogue():
    for name in [
        "物业管理",
        "供暖",
        "环境卫生",
        "养老服务",
        "助残服务",
        "儿童关爱",
        "就业服务",
        "社会保障",
        "医疗卫生",
        "安全隐患",
        "矛盾纠纷",
        "设施维修",
        "政务咨询",
    ]:
        assert DEFAULT_LEXICON[name]


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("家里暖气不热", "供暖"),
        ("小区垃圾没人清运", "环境卫生"),
        ("楼上邻居半夜噪音扰民", "矛盾纠纷"),
        ("想给母亲办残疾证", "助残服务"),
        ("养老保险断缴了怎么补", "社会保障"),  # the longer keyword wins over 养老
        ("物业不管事，物业费还涨", "物业管理"),
        ("楼道里飞线充电", "安全隐患"),
        ("路灯坏了", "设施维修"),
    ],
)
def test_keyword_cold_start(text, label):
    assert KeywordClassifier().predict(text).label == label


def test_keyword_confidence_grows_with_consistent_evidence():
    classifier = KeywordClassifier()
    one = classifier.predict("暖气不行")
    many = classifier.predict("暖气不热，供暖公司说供热正常，暖气片冰凉")
    mixed = classifier.predict("暖气不热，垃圾也没人清运")
    assert 0 < mixed.confidence < one.confidence < many.confidence < 1
    assert not one.auto and many.auto
    assert classifier.predict("你好") == Prediction("政务咨询", 0.0, False)


def test_keyword_lexicon_can_be_replaced_but_not_ambiguous():
    custom = KeywordClassifier({"供暖": ["暖气"], "other": ["垃圾"]}, threshold=0.5)
    assert custom.predict("暖气").auto and custom.labels == ["供暖", "other"]
    with pytest.raises(ValueError, match="two categories"):
        KeywordClassifier({"a": ["暖气"], "b": ["暖气"]})


def test_cold_start_until_a_model_exists(model, tmp_path):
    assert isinstance(load_or_cold_start(None), KeywordClassifier)
    assert isinstance(load_or_cold_start(tmp_path / "none.joblib"), KeywordClassifier)
    model.save(tmp_path / "m.joblib")
    assert isinstance(load_or_cold_start(tmp_path / "m.joblib"), TicketClassifier)


# --------------------------------------------------------------------- persistence


def test_save_and_load_round_trip(model, tmp_path):
    path = model.save(tmp_path / "sub" / "model.joblib")
    loaded = TicketClassifier.load(path)
    texts, _ = requests(3, seed=7)
    assert loaded.predict_many(texts) == model.predict_many(texts)
    assert (loaded.labels, loaded.threshold, loaded.n_samples) == (
        model.labels,
        model.threshold,
        model.n_samples,
    )
    assert loaded.trained_at == model.trained_at and loaded.metrics == model.metrics


@pytest.mark.parametrize("content", [b"", b"not a model at all", b"\x80\x04\x95garbage"])
def test_a_corrupt_file_is_refused_clearly(tmp_path, content):
    path = tmp_path / "bad.joblib"
    path.write_bytes(content)
    with pytest.raises(ClassifierFileError, match=r"bad\.joblib"):
        TicketClassifier.load(path)


def test_a_truncated_or_foreign_or_newer_file_is_refused(model, tmp_path):
    path = model.save(tmp_path / "m.joblib")
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(ClassifierFileError):
        TicketClassifier.load(path)
    joblib.dump({"some": "dict"}, path)
    with pytest.raises(ClassifierFileError, match="not a ticket classifier"):
        TicketClassifier.load(path)
    model.save(path)
    state = joblib.load(path)
    joblib.dump({**state, "version": 99}, path)
    with pytest.raises(ClassifierFileError, match="format 99"):
        TicketClassifier.load(path)
    joblib.dump({**state, "weights": state["weights"][:, :5]}, path)
    with pytest.raises(ClassifierFileError, match="inconsistent"):
        TicketClassifier.load(path)
    with pytest.raises(ClassifierFileError, match="no such"):
        TicketClassifier.load(tmp_path / "missing.joblib")


# ----------------------------------------------------------------- data, evaluation


def test_reading_a_csv_skips_empty_rows(tmp_path):
    rows = [{"subject": "", "detail": f"暖气不热{i}", "label": "供暖"} for i in range(6)]
    rows += [{"subject": f"垃圾{i}", "detail": "", "label": "环境卫生"} for i in range(6)]
    rows += [{"subject": "", "detail": "", "label": "供暖"}, {"subject": "x", "detail": "y"}]
    texts, labels = read_labelled_csv(write_csv(tmp_path / "t.csv", rows))
    assert len(texts) == 12 and labels.count("供暖") == 6 and texts[0] == "暖气不热0"


def test_holdout_split_is_stratified_and_fixed(data):
    a = holdout_split(*data)
    assert a == holdout_split(*data)
    assert len(a[2]) == 24 and sorted(set(a[3])) == sorted(TOPICS)
    assert {a[3].count(label) for label in TOPICS} == {6}


def test_evaluate_reports_honest_and_oracle_figures(model):
    texts, labels = requests(10, seed=11)
    m = evaluate(model, texts, labels)
    assert m.n == 40 and m.accuracy >= 0.95 and set(m.per_label_f1) == set(TOPICS)
    assert m.threshold == model.threshold and m.oracle_auto_share >= m.auto_share - 1e-9
    assert re.fullmatch(
        r"accuracy=\d\.\d{4} macro_f1=\d\.\d{4} auto_share_at_97=\d\.\d{4}", m.report()[-1]
    )


# ---------------------------------------------------------------------- command

LAST_LINE = re.compile(r"accuracy=\d\.\d{4} macro_f1=\d\.\d{4} auto_share_at_97=\d\.\d{4}")


def run(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command("classifier", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_command_trains_and_evaluates(tickets_csv, tmp_path):
    model_path = tmp_path / "out" / "model.joblib"
    output = run("train", str(tickets_csv), "--out", str(model_path))
    assert "trained on 80 tickets, 4 labels" in output and model_path.is_file()

    output = run("evaluate", str(tickets_csv), "--model", str(model_path))
    assert LAST_LINE.fullmatch(output.strip().splitlines()[-1])
    assert "held-out tickets: 80" in output

    output = run("evaluate", str(tickets_csv))  # no model: split, train, evaluate
    lines = output.strip().splitlines()
    assert "64 to train, 16 held out" in lines[0] and LAST_LINE.fullmatch(lines[-1])
    assert "per-label F1:" in output and "oracle" in output


def test_command_defaults_to_the_setting_then_base_dir(tickets_csv, tmp_path, settings):
    settings.TICKET_CLASSIFIER_PATH = tmp_path / "setting.joblib"
    run("train", str(tickets_csv))
    assert (tmp_path / "setting.joblib").is_file()

    del settings.TICKET_CLASSIFIER_PATH
    settings.BASE_DIR = tmp_path
    run("train", str(tickets_csv))
    assert (tmp_path / "var" / "classifier.joblib").is_file()


def test_command_bad_input_is_a_command_error(tmp_path, tickets_csv):
    cases = {
        "no such file": str(tmp_path / "missing.csv"),
        "missing column": str(
            write_csv(
                tmp_path / "cols.csv",
                [{"subject": "a", "detail": "b"}],
                fields=("subject", "detail"),
            )
        ),
        "at least 10": str(
            write_csv(
                tmp_path / "few.csv",
                [
                    {"subject": "", "detail": "暖气不热", "label": "供暖"},
                    {"subject": "", "detail": "垃圾", "label": "环境卫生"},
                ],
            )
        ),
        "single label": str(
            write_csv(
                tmp_path / "one.csv",
                [{"subject": "", "detail": f"暖气不热{i}", "label": "供暖"} for i in range(12)],
            )
        ),
    }
    for message, path in cases.items():
        for action in ("train", "evaluate"):
            with pytest.raises(CommandError, match=message):
                run(
                    action,
                    path,
                    "--out" if action == "train" else "--model",
                    str(tmp_path / "m.joblib"),
                )
    (tmp_path / "broken.joblib").write_bytes(b"junk")
    with pytest.raises(CommandError, match=r"broken\.joblib"):
        run("evaluate", str(tickets_csv), "--model", str(tmp_path / "broken.joblib"))
    not_utf8 = tmp_path / "gbk.csv"
    not_utf8.write_bytes("subject,detail,label\n暖气,不热,供暖\n".encode("gbk"))
    with pytest.raises(CommandError, match="UTF-8"):
        run("train", str(not_utf8))
