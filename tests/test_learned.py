"""The learned layer: features, the text model, the combination, training and feedback."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from bot import learn
from bot.cli import main
from bot.core import CheckRequest, Detector, load_ruleset
from bot.core.combine import FEATURES, STACK_DECAY, Combiner, parse_combiner, weighed
from bot.core.model import Hit, Severity
from bot.core.ruleset import RuleSet
from bot.core.scope import Scope, quotation
from bot.core.textmodel import TextModel, features_text, featurize, ngram_buckets
from bot.errors import RuleFileError
from bot.storage import open_storage
from rules import RULES_DIR

TRAIN_DIR = Path(__file__).parent / "corpus" / "train"
SMALL_BITS = 14


def _copy_rules(tmp_path: Path) -> Path:
    target = tmp_path / "rules"
    shutil.copytree(RULES_DIR, target, ignore=shutil.ignore_patterns("__pycache__", "model"))
    return target


def _small_corpus() -> list[learn.TrainLine]:
    lines: list[learn.TrainLine] = []
    for path in sorted(TRAIN_DIR.glob("??.jsonl")):
        lines += learn.read_lines(path, f"project:{path.stem}")
    return lines


@pytest.fixture(scope="module")
def small_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A rules folder with a model trained on the project's hand-written lines only."""
    rules = _copy_rules(tmp_path_factory.mktemp("learned"))
    ruleset = load_ruleset(rules)
    trained = learn.train(_small_corpus(), ruleset, bits=SMALL_BITS)
    learn.save(trained, rules / "model", {"sources": {"test": 1}})
    return rules


# -- features -----------------------------------------------------------------------------


def test_features_fold_digits_and_spaces() -> None:
    """Numbers differ only by their digits: the model sees them as one shape."""
    assert features_text("code  123\t456") == " code 000 000 "
    a, _ = featurize("your code is 123456", 16)
    b, _ = featurize("your code is 987654", 16)
    assert sorted(a.tolist()) == sorted(b.tolist())


def test_ngrams_cover_every_order_and_script() -> None:
    """Every n-gram of orders 1-5 gets a bucket, for Latin, Chinese and Thai alike."""
    for text in (" send me ", " 验证码发给我 ", " ส่งรหัส "):
        buckets, starts, lengths = ngram_buckets(text, 12)
        n = len(text)
        assert len(buckets) == sum(n - k + 1 for k in range(1, 6))
        assert buckets.min() >= 0 and buckets.max() < 1 << 12
        assert set(lengths.tolist()) == {1, 2, 3, 4, 5}
        assert (starts + lengths <= n).all()


def test_features_are_stable_across_calls() -> None:
    """The same text always hashes to the same buckets (no per-process hash seed)."""
    first, value = featurize("Kirim kode OTP ke saya", 18)
    again, value2 = featurize("Kirim kode OTP ke saya", 18)
    assert first.tolist() == again.tolist() and value == value2 > 0


# -- scope --------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "they wrote “send me the code you got” lol",
    "他们说「把验证码发给我」这是骗局吧",
    "fick ett sms: »skicka koden till mig« vad gör jag",
    "nhận được tin \"gửi mã OTP cho anh\" có phải lừa đảo",
    "got this ‘please share the six digits’ message",
    "quoting the DM I got: please send me the verification code you just received",
])
def test_quotations_of_every_script(text: str) -> None:
    """Quotation marks of every script (and an introducing colon) mark quoted text; what is
    outside is kept for the model to read on its own."""
    share, outside = quotation(text)
    assert 0.2 < share < 1.0
    assert outside is not None and len(outside) < len(text)


@pytest.mark.parametrize("text", [
    "I'm fine, don't worry",
    "send me the code now",
    "https://example.com/path is the link",
])
def test_no_quotation_without_marks(text: str) -> None:
    """Apostrophes, plain requests and links are not quotations."""
    assert quotation(text) == (0.0, None)


# -- combination --------------------------------------------------------------------------


def _combiner(**weights: float) -> Combiner:
    base = dict.fromkeys(FEATURES, 0.0)
    base.update(weights)
    return Combiner(base, {}, {"low": (0.8, 0.9), "normal": (0.5, 0.8),
                               "high": (0.4, 0.7)})


def test_a_new_rule_counts_with_its_severity_prior() -> None:
    """A rule the weights were never fitted on counts with its severity's prior."""
    combiner = _combiner(**{"bias": -3.0, "severity.critical": 8.0, "severity.low": 0.5})
    critical = Hit("brand-new.rule", "key_request", Severity.CRITICAL, "r")
    low = Hit("brand-new.low", "giveaway", Severity.LOW, "r")
    assert combiner.score([critical], 0.0, None, Scope()) > 0.99
    assert combiner.score([low], 0.0, None, Scope()) < 0.1
    assert combiner.score([], 0.0, None, Scope()) < 0.05


def test_fitted_rule_adjustment_and_scope_weigh_in() -> None:
    """A rule's fitted adjustment and the scope signals move the score."""
    combiner = replace(_combiner(**{"bias": -3.0, "severity.high": 4.0, "model": 1.0,
                                    "push.discussion": -1.0}),
                       rules={"noisy.rule": -2.0})
    hit = Hit("noisy.rule", "giveaway", Severity.HIGH, "r")
    other = Hit("good.rule", "giveaway", Severity.HIGH, "r")
    assert combiner.score([hit], 0.0, None, Scope()) < combiner.score([other], 0.0, None,
                                                                      Scope())
    plain = combiner.score([], 4.0, None, Scope())
    discussed = combiner.score([], 4.0, None, Scope(discussion=True))
    assert discussed < plain


def test_a_categorys_further_hits_count_less() -> None:
    """Overlapping rules of one family are one piece of evidence seen again: the second hit of
    a category counts STACK_DECAY times the first, a hit of another category counts whole."""
    combiner = replace(_combiner(**{"bias": -3.0, "severity.high": 2.0}),
                       rules={"drain.b": 1.0})
    a = Hit("drain.a", "wallet_drainer", Severity.HIGH, "r")
    b = Hit("drain.b", "wallet_drainer", Severity.HIGH, "r")
    c = Hit("give.c", "giveaway", Severity.HIGH, "r")
    assert [w for _h, w in weighed([b, a, c])] == [1.0, STACK_DECAY, 1.0]
    # the weaker or later hit of a category is the one that counts less, whatever the order
    assert weighed([b, a])[0][0] is a
    same = combiner.z([a, b], 0.0, None, Scope())
    other = combiner.z([a, c], 0.0, None, Scope())
    assert same == pytest.approx(-3.0 + 2.0 + STACK_DECAY * (2.0 + 1.0))
    assert other == pytest.approx(-3.0 + 2.0 + 2.0)
    assert same < other
    weaker = Hit("drain.c", "wallet_drainer", Severity.LOW, "r")
    assert [h.rule for h, w in weighed([weaker, a]) if w == 1.0] == ["drain.a"]


def test_combiner_file_round_trips_and_rejects_bad_files() -> None:
    """combiner.json reads back as written; wrong features or thresholds are clear errors."""
    combiner = _combiner(bias=-2.0)
    again = parse_combiner(combiner.to_json(), "c.json")
    assert again.weights == combiner.weights and again.thresholds == combiner.thresholds
    data = json.loads(combiner.to_json())
    data["features"] = ["bias"]
    with pytest.raises(RuleFileError, match="features differ"):
        parse_combiner(json.dumps(data), "c.json")
    data = json.loads(combiner.to_json())
    data["thresholds"]["normal"] = [0.9, 0.5]
    with pytest.raises(RuleFileError, match="suspicious <= scam"):
        parse_combiner(json.dumps(data), "c.json")
    # a combination fitted before further hits were weighed less is refused, not misread
    data = json.loads(combiner.to_json())
    data["format"] = 1
    with pytest.raises(RuleFileError, match="retrain"):
        parse_combiner(json.dumps(data), "c.json")


# -- training -----------------------------------------------------------------------------


def test_training_is_deterministic() -> None:
    """The same lines give the same weights, thresholds and combination."""
    lines = _small_corpus()[::3]
    ruleset = load_ruleset(RULES_DIR)
    first = learn.train(lines, ruleset, bits=12)
    second = learn.train(list(lines), ruleset, bits=12)
    assert np.array_equal(first.weights, second.weights)
    assert first.bias == second.bias
    assert np.array_equal(first.cat_weights, second.cat_weights)
    assert first.combiner.weights == second.combiner.weights
    assert first.combiner.rules == second.combiner.rules
    assert first.combiner.thresholds == second.combiner.thresholds
    # every line has a held-out score of the combination, and the thresholds keep the
    # stated budget of hard negatives on them
    assert first.held_out is not None and len(first.held_out) == len(first.lines)
    hard = np.array([x.label == "ham" and x.hard for x in first.lines])
    suspicious = first.combiner.thresholds["normal"][0]
    assert (first.held_out[hard] >= suspicious).mean() <= learn.BUDGETS["normal"][0][0] + 1e-9


def _logistic_tail_sample(rng: np.random.Generator, n: int) -> np.ndarray:
    """Scores whose log-odds are logistic: above its median the tail is near exponential,
    and the share above log-odds t is 1 / (1 + e^t), so every quantile is known."""
    z = rng.logistic(size=n)
    return 1 / (1 + np.exp(-z))


def test_a_small_budget_is_read_from_the_tail_and_moves_less_between_samples() -> None:
    """The threshold for a budget of a few everyday messages (0.1% of 4,000: the 4th-highest
    score) comes from the fitted tail: on samples of the same distribution its log-odds
    scatter less than the one score's at the budget, and land as near the true quantile."""
    rng = np.random.default_rng(7)
    budget, n = 0.001, 4000
    truth = np.log((1 - budget) / budget)
    tail, plain = [], []
    for _ in range(200):
        scores = _logistic_tail_sample(rng, n)
        tail.append(learn._tail_threshold(scores, budget))
        plain.append(learn._threshold(scores, budget))
    log_tail = np.log(np.array(tail) / (1 - np.array(tail)))
    log_plain = np.log(np.array(plain) / (1 - np.array(plain)))
    assert np.std(log_tail) < 0.85 * np.std(log_plain)
    assert abs(np.mean(log_tail) - truth) <= abs(np.mean(log_plain) - truth)
    assert abs(np.mean(log_tail) - truth) < 0.25


def test_a_budget_that_allows_many_messages_is_read_as_it_is() -> None:
    """Fifty messages or more under the budget: the plain quantile, exactly."""
    scores = _logistic_tail_sample(np.random.default_rng(1), 4000)
    assert learn._tail_threshold(scores, 0.02) == learn._threshold(scores, 0.02)
    # too few scores for a tail: the plain quantile too
    few = scores[:15]
    assert learn._tail_threshold(few, 0.003) == learn._threshold(few, 0.003)


def test_everyday_budgets_use_the_tail_and_hard_negative_budgets_the_plain_quantile() -> None:
    rng = np.random.default_rng(3)
    hard = _logistic_tail_sample(rng, 20000) * 0.9
    everyday = _logistic_tail_sample(rng, 4000)
    chosen = learn.choose_thresholds(hard, everyday)
    suspicious = chosen["normal"][0]
    expected = max(0.3, learn._threshold(hard, learn.BUDGETS["normal"][0][0]),
                   learn._tail_threshold(everyday, learn.BUDGETS["normal"][0][1]))
    assert suspicious == round(expected, 6)
    assert learn._tail_threshold(everyday, 0.003) != learn._threshold(everyday, 0.003)


def test_naive_bayes_scale_follows_which_side_an_ngram_is_seen_on() -> None:
    """Columns seen only among scams scale up, only among hams scale negative, on both sides
    evenly near zero; the scale is folded into the returned weights."""
    from scipy.sparse import csr_matrix

    x = csr_matrix(np.array([[1, 0, 1], [1, 0, 1], [0, 1, 1], [0, 1, 1]], dtype=np.float64))
    y = np.array([True, True, False, False])
    w = np.ones(4)
    ratio = learn._nb_ratio(x, y, w)
    assert ratio[0] > 0.5 and ratio[1] < -0.5 and abs(ratio[2]) < 1e-9
    weights, _bias = learn._fit_text(x, y, w)
    # the shared column carries no evidence after scaling, whatever the fit did with it
    assert weights[2] == 0.0
    assert weights[0] > 0 > weights[1]


def test_trained_model_loads_and_explains(small_model: Path) -> None:
    """A trained model loads with its rules; a paraphrase no rule knows is explained by the
    phrases that made it."""
    ruleset = load_ruleset(small_model)
    assert ruleset.model is not None and ruleset.combiner is not None
    assert ruleset.warnings == ()
    detector = Detector(ruleset)
    verdict = detector.check(CheckRequest(
        "hey bro kindly send me the recovery words of your wallet so i fix the sync"))
    assert verdict.verdict != "clean"
    model_hits = [h for h in verdict.hits if h.rule.startswith("model.")]
    assert model_hits and model_hits[0].evidence
    skeleton = detector.prepare(CheckRequest(
        "hey bro kindly send me the recovery words of your wallet so i fix the sync")
    ).text.skeleton
    assert all(p in skeleton for p in model_hits[0].evidence)
    assert all(f"'{p}'" in model_hits[0].reason for p in model_hits[0].evidence)


def test_the_category_model_reads_the_top_bits_of_the_same_buckets(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The category model may be narrower than the text model: it is fitted on the text
    model's buckets folded to their top bits, and the loaded model names the category the
    fitted one does. A file whose category model claims more bits than the text model's is
    refused."""
    monkeypatch.setattr(learn, "CATEGORY_BITS", SMALL_BITS - 3)
    rules = _copy_rules(tmp_path)
    ruleset = load_ruleset(rules)
    lines = _small_corpus()
    trained = learn.train(lines, ruleset, bits=SMALL_BITS)
    assert trained.weights.shape == (1 << SMALL_BITS,)
    assert trained.cat_weights.shape[1] == 1 << (SMALL_BITS - 3)
    learn.save(trained, rules / "model", {"sources": {"test": 1}})
    model = load_ruleset(rules).model
    assert model is not None and model.bits == SMALL_BITS and model.cat_shift == 3
    detector = Detector(load_ruleset(rules))
    scams = [line.text for line in lines if line.label == "scam"][:40]
    skeletons = [detector.prepare(CheckRequest(text)).text.skeleton for text in scams]
    x = learn._fold_buckets(learn._matrix(skeletons, SMALL_BITS), SMALL_BITS, SMALL_BITS - 3)
    fitted = np.asarray(x @ trained.cat_weights.astype(np.float64).T) + trained.cat_bias
    expected = [trained.categories[int(i)] for i in fitted.argmax(axis=1)]
    assert [model.category(model.score(sk)) for sk in skeletons] == expected
    assert len(set(expected)) > 1

    path = rules / "model" / "text-model.npz"
    with np.load(path) as data:
        arrays = {k: data[k] for k in data.files}
    meta = json.loads(bytes(arrays["meta"]).decode("utf-8"))
    arrays["meta"] = np.frombuffer(json.dumps(dict(meta, cat_bits=SMALL_BITS + 1)).encode(),
                                   dtype=np.uint8)
    np.savez(path, **arrays)
    broken = load_ruleset(rules)
    assert broken.model is None
    assert any("category weights do not match" in str(w) for w in broken.warnings)


def test_broken_model_file_is_a_clear_error_and_rules_work_alone(
        small_model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A corrupt model file is named in the warnings and by `rules lint` (exit 1); the rules
    alone still catch a recovery-phrase request."""
    rules = tmp_path / "rules"
    shutil.copytree(small_model, rules)
    weights = rules / "model" / "text-model.npz"
    weights.write_bytes(b"not a zip file")
    ruleset = load_ruleset(rules)
    assert ruleset.model is None and ruleset.combiner is None
    assert [str(weights) in str(w) for w in ruleset.warnings] == [True]
    verdict = Detector(ruleset).check(CheckRequest("send me your 12 word recovery phrase"))
    assert verdict.verdict == "scam"
    assert main(["rules", "lint", str(rules)]) == 1
    out = capsys.readouterr().out
    assert f"{weights}:0: model file cannot be read" in out


def test_missing_model_means_rules_alone(tmp_path: Path) -> None:
    """Without a model directory the rules work alone and nothing is reported."""
    ruleset = load_ruleset(_copy_rules(tmp_path))
    assert ruleset.model is None and ruleset.warnings == ()
    assert Detector(ruleset).check(CheckRequest("send me your seed phrase")).verdict == "scam"


def test_combiner_for_another_model_is_refused(small_model: Path, tmp_path: Path) -> None:
    """Weights fitted for another text model are not mixed with this one."""
    rules = tmp_path / "rules"
    shutil.copytree(small_model, rules)
    path = rules / "model" / "combiner.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["card"]["model_digest"] = "0" * 16
    path.write_text(json.dumps(data), encoding="utf-8")
    ruleset = load_ruleset(rules)
    assert ruleset.model is None
    assert "another text-model.npz" in str(ruleset.warnings[0])


def test_reload_keeps_the_last_good_model(small_model: Path, tmp_path: Path) -> None:
    """A model broken after start is reported on reload and the loaded one stays."""
    from bot.rulesholder import RulesHolder

    rules = tmp_path / "rules"
    shutil.copytree(small_model, rules)
    holder = RulesHolder(rules)
    assert holder.detector.model is not None
    (rules / "model" / "text-model.npz").write_bytes(b"\0" * 10)
    result = holder.reload()
    assert not result.ok and "text-model.npz" in result.errors[0]
    assert holder.detector.model is not None


def test_loaded_rules_are_left_out_of_collections_and_a_replaced_set_is_freed(
        small_model: Path, tmp_path: Path) -> None:
    """After a load the rule set is frozen out of the cyclic collector's scans (a full
    collection would walk it during some message's check); a reload releases the frozen
    objects first, so the replaced set is freed, not kept forever."""
    import gc
    import weakref

    from bot.rulesholder import RulesHolder

    rules = tmp_path / "rules"
    shutil.copytree(small_model, rules)
    class Node:
        pass

    gc.unfreeze()
    cycle = Node()
    cycle.itself = cycle  # type: ignore[attr-defined]
    held_in_a_cycle = weakref.ref(cycle)
    holder = RulesHolder(rules)
    try:
        assert gc.get_freeze_count() > 100_000
        old = weakref.ref(holder.active.detector)
        del cycle  # garbage now, but frozen with everything else
        assert holder.reload().ok
        assert holder.active.detector is not old()
        assert old() is None
        assert held_in_a_cycle() is None
        assert gc.get_freeze_count() > 100_000
    finally:
        gc.unfreeze()


# -- feedback -----------------------------------------------------------------------------


def test_feedback_weight_is_capped_per_category() -> None:
    """However many labels arrive, they weigh at most a small share of the corpus's lines of
    that label and category."""
    corpus = _small_corpus()
    rows = [{"text": f"send me your seed phrase please {i}", "label": "ham"}
            for i in range(200)]
    lines = learn.feedback_lines(rows, corpus)
    hams = sum(1 for x in corpus if x.label == "ham")
    assert sum(x.weight for x in lines) <= learn.FEEDBACK_SHARE * hams + 1e-9
    few = learn.feedback_lines(rows[:3], corpus)
    assert all(x.weight == learn.FEEDBACK_WEIGHT for x in few)


async def _feedback_db(path: Path, ham_texts: list[str], scam_texts: list[str]) -> None:
    storage = await open_storage(path)
    try:
        for i, text in enumerate(ham_texts):
            incident = await storage.add_incident(
                chat_id=-100, message_id=i + 1, sender_id=7, verdict="scam", score=0.9,
                text=text, hits=[Hit("key-request.seed-phrase", "key_request",
                                     Severity.CRITICAL, "r")], keep_full=True)
            await storage.add_feedback(incident, 42, "false_positive")
        for text in scam_texts:
            await storage.add_sample(-100, text, 42, "otp_request")
    finally:
        await storage.close()


def test_feedback_refit_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                   ) -> None:
    """Admins' marks in the database become labelled lines; `model train --with-feedback`
    refits on them, and a handful of 'Not a scam' marks on recovery-phrase requests does not
    flip the category: the rules' and corpus's key requests stay flagged."""
    import asyncio

    rules = _copy_rules(tmp_path)
    db = tmp_path / "fb.db"
    marked = [f"send me your recovery phrase so I can verify the wallet {n}"
              for n in ("now", "today", "asap", "quickly", "pls")]
    asyncio.run(_feedback_db(db, marked, ["pass me the digits that just arrived on your "
                                          "phone, my number was typed by mistake"]))

    async def read() -> list[dict[str, object]]:
        storage = await open_storage(db)
        try:
            return await storage.labelled_lines()
        finally:
            await storage.close()

    rows = asyncio.run(read())
    assert sorted(r["label"] for r in rows) == ["ham"] * 5 + ["scam"]
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for path in sorted(TRAIN_DIR.glob("??.jsonl")):
        shutil.copy(path, corpus / path.name)
    code = main(["model", "train", "--rules", str(rules), "--corpus", str(corpus),
                 "--with-feedback", "--db", str(db), "--bits", str(SMALL_BITS)])
    out = capsys.readouterr().out
    assert code == 0 and "feedback" in (rules / "model" / "MODEL_CARD.md").read_text()
    assert "wrote" in out
    detector = Detector(load_ruleset(rules))
    key_requests = [x for x in _small_corpus()
                    if x.label == "scam" and x.category == "key_request"]
    flagged = sum(detector.check(CheckRequest(x.text, lang=x.lang)).verdict != "clean"
                  for x in key_requests)
    assert flagged >= 0.95 * len(key_requests)
    for text in marked:
        assert detector.check(CheckRequest(text)).verdict != "clean"


def test_rules_keep_their_meaning_beside_the_model(small_model: Path) -> None:
    """With a model loaded, a lone critical rule hit is still a scam and a clean everyday
    message stays clean: the learned layer lowers a rule's verdict only in a framed
    message (see the tests below), and a plain request has no frame."""
    detector = Detector(load_ruleset(small_model))
    assert detector.check(CheckRequest("send me your seed phrase")).verdict == "scam"
    assert detector.check(CheckRequest("see you at lunch tomorrow")).verdict == "clean"


# -- what the learned combination may take back ------------------------------------------


def _flat_model(bias: float, bits: int = 8, category: str = "key_request") -> TextModel:
    """A text model that reads every text the same (logit `bias`, read as `category`)."""
    return TextModel(bits, np.zeros(1 << bits, np.float32), bias, (category,),
                     np.zeros((1, 1 << bits), np.float16), np.zeros(1, np.float32), {}, "t")


_SHIPPED: list[RuleSet] = []


def _shipped() -> RuleSet:
    if not _SHIPPED:
        _SHIPPED.append(load_ruleset(RULES_DIR))
    return _SHIPPED[0]


def _learned_detector(model_bias: float, normal: tuple[float, float] = (0.5, 0.8),
                      category: str = "key_request") -> Detector:
    """The shipped rules with a flat text model and a combination that follows it alone."""
    combiner = _combiner(**{"bias": 0.0, "model": 1.0})
    combiner = replace(combiner, thresholds={**combiner.thresholds, "normal": normal})
    model = _flat_model(model_bias, category=category)
    return Detector(replace(_shipped(), model=model, combiner=combiner))


def _rules_alone() -> Detector:
    return Detector(replace(_shipped(), model=None, combiner=None))


# reported speech frames it, but the writer gives no verdict of their own (a retelling with
# one, "luckily he hung up", is a discussion the rules themselves read as such)
FRAMED_REPORT = ("My dad was called by a fake police officer who told him to move his "
                 "savings to a safe account. He called me first.")


def test_a_framed_message_the_learned_layer_reads_as_clean_is_cleared() -> None:
    """A member reporting what a fake officer asked for: the rules see the request, the
    frame (reported speech) and a learned reading of "not a scam" take it back."""
    rules_alone = _rules_alone()
    assert rules_alone.check(CheckRequest(FRAMED_REPORT)).verdict != "clean"
    taken = _learned_detector(-6.0).check(CheckRequest(FRAMED_REPORT))
    assert taken.verdict == "clean" and taken.taken_back == "framed"
    assert taken.hits and taken.to_dict()["taken_back"] == "framed"
    # the same learned layer reading it as a scam keeps the verdict
    assert _learned_detector(6.0).check(CheckRequest(FRAMED_REPORT)).verdict != "clean"


def test_a_plain_critical_request_is_cleared_only_on_a_near_certain_clean_reading() -> None:
    """No frame, a critical hit: the rules' verdict stands unless the learned layer reads
    the message as near-certainly not a scam (below CRITICAL_TAKE_BACK); a reading that is
    merely "more likely not" (0.12) keeps it."""
    text = "send me your seed phrase to verify your wallet now"
    kept = _learned_detector(-2.0).check(CheckRequest(text))
    assert any(h.severity == Severity.CRITICAL for h in kept.hits)
    assert kept.verdict != "clean" and kept.taken_back is None
    taken = _learned_detector(-6.0).check(CheckRequest(text))
    assert taken.verdict == "clean" and taken.taken_back == "unframed"


@pytest.mark.parametrize("text", [
    "send me your seed phrase to verify your wallet now",
    "gửi cho mình 12 từ khôi phục ví của bạn để xác minh nhé",
    "kirim frasa pemulihan dompet kamu ke saya untuk verifikasi",
    "请把你的钱包助记词发给我，帮你验证",
    "ส่งวลีกู้คืนกระเป๋าของคุณมาให้แอดมินตรวจสอบนะครับ",
    "hantar 12 perkataan pemulihan wallet awak kat saya untuk sahkan",
    "ipadala mo sa akin ang seed phrase ng wallet mo para ma-verify",
    "skicka din återställningsfras till mig så verifierar jag plånboken",
    "I sent my code to your number by mistake, can you forward it to me?",
])
def test_the_shipped_layer_never_clears_a_plain_request_for_a_secret(text: str) -> None:
    """With the shipped model, a plain request for a recovery phrase or a code is a scam in
    every language: the near-certain clean reading that may take a critical hit back is
    kept for reports of what happened to the writer."""
    verdict = Detector(_shipped()).check(CheckRequest(text))
    assert verdict.verdict == "scam" and verdict.taken_back is None


# a thank-you post copied from a social network, whose links arrive wrapped (t.co)
THANKS_POST = ("Ayah buat baik, anak dapat hadiah. Terima kasih banyak kakak semua 🙏 "
               "https://t.co/Qw3rTy7uIo")


def test_a_shortened_links_story_is_taken_back_only_on_a_near_certain_clean_reading() -> None:
    """A shortened link beside a prize word is the rules' evidence, told by words: the
    learned layer takes it back when it reads the message as near-certainly not a scam
    (below SHORTENED_TAKE_BACK), never on a reading that is merely "more likely not"."""
    rules_alone = _rules_alone().check(CheckRequest(THANKS_POST))
    assert rules_alone.verdict != "clean"
    assert "link.shortener-context" in {h.rule for h in rules_alone.hits}
    kept = _learned_detector(-2.0).check(CheckRequest(THANKS_POST))
    assert kept.verdict != "clean" and kept.taken_back is None
    taken = _learned_detector(-6.0).check(CheckRequest(THANKS_POST))
    assert taken.verdict == "clean" and taken.taken_back == "unframed"
    # with the shipped model: the thank-you is cleared, a prize behind a shortener is not
    shipped = Detector(_shipped())
    assert shipped.check(CheckRequest(THANKS_POST)).verdict == "clean"
    lure = shipped.check(CheckRequest(
        "Congrats! You won an iPhone 15 in our lucky draw, claim your prize here "
        "https://bit.ly/claim-ip15"))
    assert lure.verdict == "scam" and "link.shortener-context" in {h.rule for h in lure.hits}


def test_an_unframed_lesser_hit_is_taken_back_only_on_a_clear_learned_reading() -> None:
    """Without a frame, a non-critical phrase rule's verdict is taken back only when the
    learned layer reads the message as more likely not a scam than a scam."""
    text = "Guaranteed profit of 3% daily, join our signal group and earn every day"
    rules_alone = _rules_alone()
    found = rules_alone.check(CheckRequest(text))
    assert found.verdict != "clean"
    assert all(h.severity < Severity.CRITICAL for h in found.hits)
    assert not rules_alone.prepare(CheckRequest(text)).scope.framed
    assert _learned_detector(-6.0).check(CheckRequest(text)).verdict == "clean"
    # read as clean (below a suspicious threshold of 0.9) but not as more likely clean
    # than scam (0.55): the rules stand
    assert _learned_detector(0.2, (0.9, 0.95)).check(CheckRequest(text)).verdict != "clean"
    assert _learned_detector(-0.4, (0.9, 0.95)).check(CheckRequest(text)).verdict == "clean"


RECOVERY_WARNING = ("My colleague lost 40k to a fake exchange and then paid a recovery expert "
                    "who promised to get his lost funds back. Beware of them")


def test_an_unguarded_rule_is_taken_back_only_on_a_clearly_clean_framed_reading() -> None:
    """An unguarded rule (its scams use a frame's words: "Scammed? We recover lost funds")
    is taken back in a framed message only when the learned layer reads it as clearly not
    a scam; a reading merely below the suspicious threshold keeps it, and without a frame
    it always stands."""
    rules_alone = _rules_alone()
    found = rules_alone.check(CheckRequest(RECOVERY_WARNING))
    unguarded = {r.id for r in _shipped().patterns.rules if not r.guarded}
    assert found.verdict != "clean" and {h.rule for h in found.hits} & unguarded
    assert rules_alone.prepare(CheckRequest(RECOVERY_WARNING)).scope.framed
    taken = _learned_detector(-6.0).check(CheckRequest(RECOVERY_WARNING))
    assert taken.verdict == "clean" and taken.taken_back == "framed"
    # below the suspicious threshold (0.9) yet not clearly clean (0.4): the rule stands
    assert _learned_detector(-0.4, (0.9, 0.95)).check(
        CheckRequest(RECOVERY_WARNING)).verdict != "clean"
    advert = "Hire a certified hacker to recover your lost crypto, no upfront fee"
    assert rules_alone.check(CheckRequest(advert)).verdict != "clean"
    assert not rules_alone.prepare(CheckRequest(advert)).scope.framed
    assert _learned_detector(-6.0).check(CheckRequest(advert)).verdict != "clean"


def test_a_listed_link_stands_in_a_framed_message() -> None:
    """A link on a phishing list is dangerous whoever posts it, framed or not, whatever the
    learned reading."""
    text = ("is this legit? they sent me https://1688-efm.pages.dev/login to unlock my "
            "account, what do you think")
    verdict = _learned_detector(-6.0).check(CheckRequest(text))
    assert "link.blocklisted" in [h.rule for h in verdict.hits]
    assert verdict.verdict == "scam"


DISCUSSED_LINK = ("is this legit? they sent me binance-verify-login.com to unlock my account, "
                  "what do you think")


def test_a_discussed_look_alike_link_is_weighed_by_the_learned_reading() -> None:
    """A link judged by its look alone, which the writer asks about or quotes with a
    verdict, no longer stands in that frame: the learned reading decides, as for phrases
    (the hit is still reported)."""
    clean = _learned_detector(-6.0).check(CheckRequest(DISCUSSED_LINK))
    assert "link.brand-keyword" in [h.rule for h in clean.hits]
    assert clean.verdict == "clean" and clean.taken_back == "framed"
    assert _learned_detector(6.0).check(CheckRequest(DISCUSSED_LINK)).verdict != "clean"
    quoted = ('got this SMS “Maybank: akaun anda disekat, log masuk di '
              'maybank2u-secure.info” palsu kan?')
    assert _learned_detector(-6.0).check(CheckRequest(quoted)).verdict == "clean"
    handle = "Anyone recognise @Bybit_HelpDesk_Official? Says he can fix my withdrawal, legit?"
    judged = _learned_detector(-6.0).check(CheckRequest(handle))
    assert "handle.lookalike" in [h.rule for h in judged.hits] and judged.verdict == "clean"


@pytest.mark.parametrize(("lang", "text"), [
    # the writer retells an SMS, link and all, and asks about it with a particle
    ("th", "เมื่อเช้าได้ SMS การไฟฟ้าคืนเงินประกัน ลิงก์ pea-refund.online ของจริงเค้าคืนผ่าน"
           "พร้อมเพย์ไม่ใช่เหรอ"),
    # a link the writer asks about in its own sentence
    ("en", "so is binance-verify-login.com the real one? the app says nothing about it"),
])
def test_links_the_writer_talks_about_frame_a_message_with_no_other_hit(
        lang: str, text: str) -> None:
    """When the only hits are links read from their look and the writer talks about them,
    that talk frames the message: a learned reading below the suspicious threshold takes
    the verdict back, though it is not "more likely clean than scam" (0.55). The same
    reading leaves a link offered to the reader flagged."""
    reading = _learned_detector(0.2, (0.9, 0.95))
    verdict = reading.check(CheckRequest(text, lang=lang))
    assert verdict.hits and all(h.rule.startswith(("link.", "handle.")) for h in verdict.hits)
    assert verdict.verdict == "clean" and verdict.taken_back == "framed"
    offered = "claim your electricity refund at binance-verify-login.com before Friday"
    assert reading.check(CheckRequest(offered)).verdict != "clean"


@pytest.mark.parametrize(("lang", "text"), [
    ("en", "Fake links this week: binnance-ph.com, metamask-io.app — add yours"),
    ("vi", "tin báo bưu phẩm mà link kiểu vnpost-giaohang.top là giả nhé"),
    ("ms", "List link palsu minggu ni: binnance-my.com, poslaju-my.co — tambah kalau jumpa lagi"),
    ("sv", "Fick sms med länken postnord-se-paket.com, är det fejk?"),
])
def test_a_look_alike_link_the_writer_judges_is_weighed_by_the_learned_reading(
        lang: str, text: str) -> None:
    """The writer's own verdict on the links ("fake", "là giả", "palsu", "fejk") makes them
    discussed: the learned reading decides; without that verdict the same link stands."""
    judged = _learned_detector(-6.0).check(CheckRequest(text, lang=lang))
    assert any(h.rule.startswith("link.") for h in judged.hits)
    assert judged.verdict == "clean"
    assert _learned_detector(6.0).check(CheckRequest(text, lang=lang)).verdict != "clean"


@pytest.mark.parametrize(("lang", "judged", "aimed_elsewhere"), [
    ("en", "beware everyone, metamask-io-wallet.app is fake, my friend lost everything there",
     "beware of fake sites everyone, the only official one is metamask-io-wallet.app"),
    ("th", "ระวังนะ เจอเว็บ phantom-app-wallet.io อันนั้นปลอม เพื่อนโดนไปแล้ว",
     "ระวังนะ เว็บปลอมเยอะ ใช้ phantom-app-wallet.io เท่านั้น"),
])
def test_a_verdict_after_the_link_judges_it_even_beside_advice(
        lang: str, judged: str, aimed_elsewhere: str) -> None:
    """Advice alone is no frame for a link (a scam opens with "beware of fakes"), but the
    writer's verdict right after the link, in its sentence, is about that link: the learned
    reading decides. A verdict before the link is aimed elsewhere and the link stands."""
    clean = _learned_detector(-6.0)
    verdict = clean.check(CheckRequest(judged, lang=lang))
    assert any(h.rule.startswith("link.") for h in verdict.hits)
    assert verdict.verdict == "clean"
    assert clean.check(CheckRequest(aimed_elsewhere, lang=lang)).verdict != "clean"


def test_a_look_alike_beside_the_official_domain_is_weighed_by_the_learned_reading() -> None:
    """A look-alike written beside the brand's official domain is being compared with it:
    the learned reading decides. The same look-alike alone stands."""
    compared = "Always check the URL. binance.com is correct, binance-verify-login.com is not."
    clean = _learned_detector(-6.0).check(CheckRequest(compared))
    assert "link.brand-keyword" in [h.rule for h in clean.hits] and clean.verdict == "clean"
    # a scam that names the real site too is left to the learned reading, not cleared
    mirror = "binance.com is down for maintenance, log in at binance-verify-login.com"
    assert _learned_detector(6.0).check(CheckRequest(mirror)).verdict != "clean"
    alone = "log in at binance-verify-login.com before your account is closed"
    assert _learned_detector(-6.0).check(CheckRequest(alone)).verdict != "clean"


JUDGED = "haha the 'Elon giveaway' is in my feed again, send 0.1 get 0.2 back. still around"


def test_the_writers_verdict_lets_the_learned_reading_take_back() -> None:
    """A writer's own verdict ("haha", "fake") without advice lets a clean learned reading
    take the rules' verdict back, as a frame does; a scam reading keeps it."""
    clean = _learned_detector(-6.0).check(CheckRequest(JUDGED))
    assert clean.hits and clean.verdict == "clean" and clean.taken_back == "judged"
    assert _learned_detector(6.0).check(CheckRequest(JUDGED)).verdict != "clean"
    # the same words with advice: "beware of fakes" is no frame, and no verdict frames it
    advised = "Beware of fake giveaways! Send 0.1 ETH to get 0.2 back, real Elon event"
    message = _learned_detector(-6.0).prepare(CheckRequest(advised))
    assert not message.scope.judged


@pytest.mark.parametrize("text", [
    # advice is no discussion: "beware of fakes, use our site" is a scam's own opener
    "Beware of fake sites! The only official login is binance-verify-login.com",
    "Avoid the fake ones, be careful: log in only at binance-verify-login.com",
    "Unlock your account at binance-verify-login.com within 24 hours",
])
def test_a_look_alike_link_not_discussed_stands(text: str) -> None:
    verdict = _learned_detector(-6.0).check(CheckRequest(text))
    assert "link.brand-keyword" in [h.rule for h in verdict.hits]
    assert verdict.verdict != "clean"


@pytest.mark.parametrize("text", [
    "My dad got a call from a fake police officer yesterday",
    "我爸昨天接到一个冒充警察的电话",
    "bố tôi vừa nhận cuộc gọi giả danh công an",
    "พ่อผมโดนโทรมาอ้างเป็นตำรวจ",
    "bapak saya ditelpon orang yang mengaku dari polisi",
    "ayah aku kena call orang mengaku dari polis",
    "may tumawag sa tatay ko, nagpanggap na pulis",
    "min pappa blev uppringd av någon som utgav sig för att vara polis",
    # what a third person promised others, told by the writer
    "He promised everyone double back in a week and then the group went silent",
    "Hon har lovat folk att betala dubbelt tillbaka och har aldrig gjort det",
])
def test_reported_speech_is_a_scope_signal_in_every_language(text: str) -> None:
    """Reported speech ("my dad got a call from someone posing as police") frames a
    message as discussion for the learned layer, in each of the eight languages."""
    message = Detector(_shipped()).prepare(CheckRequest(text))
    assert message.scope.discussion and message.scope.framed


def test_reported_speech_cancels_no_rule() -> None:
    """Unlike a question about a scam, a reported-speech word does not switch rules off:
    the rules alone still flag a request that mentions a scammer."""
    rules_alone = _rules_alone()
    text = "My colleague lost funds too. Send me your seed phrase and I will check your wallet"
    assert rules_alone.prepare(CheckRequest(text)).scope.discussion
    assert rules_alone.check(CheckRequest(text)).verdict == "scam"


def test_a_short_chinese_sentence_can_be_taken_back_but_not_raised() -> None:
    """A Chinese character counts as two letters for the learned reading's take-back (a short
    Chinese warning is a sentence), not for raising a verdict on its own."""
    warning = '充值"保证金"才能提现的平台都是资金盘，赶紧止损'
    taken = _learned_detector(-6.0).check(CheckRequest(warning, lang="zh"))
    assert taken.hits and taken.verdict == "clean" and taken.taken_back
    chat = "你好，我是来拿东西的你在哪？"
    assert _learned_detector(6.0).check(CheckRequest(chat, lang="zh")).verdict == "clean"


OUTAGE = "Enligt driftinfon på {} är det störningar i inloggningen hos flera banker just nu."


def test_a_look_alike_reading_of_the_brands_own_site_raises_nothing() -> None:
    """The learned reading "look-alike link" does not raise a message whose every link the
    link check found on the brand's own site; a chat platform's link proves nothing, and
    other readings of the same text still raise it."""
    lookalike = _learned_detector(6.0, category="lookalike_link")
    assert lookalike.check(CheckRequest(OUTAGE.format("bankid.com"), lang="sv")).verdict == "clean"
    for elsewhere in ("driftinfo-bank.example", "t.me/+bankidinfo"):
        verdict = lookalike.check(CheckRequest(OUTAGE.format(elsewhere), lang="sv")).verdict
        assert verdict != "clean", elsewhere
    other = _learned_detector(6.0, category="otp_request")
    assert other.check(CheckRequest(OUTAGE.format("bankid.com"), lang="sv")).verdict != "clean"
