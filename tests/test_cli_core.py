"""The `scamguard` command line of the detection core: check, scan (the JSONL contract),
rules lint, rules test and bench."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from bot.cli import main
from bot.core.detector import SEVERITY_WEIGHT, THRESHOLDS, combine, label
from bot.core.model import Hit, Severity
from rules import RULES_DIR

SCAM = ("Hello, I am from Binance support. To unlock your account send me your 12-word "
        "recovery phrase")
HAM = "Does anyone know when the next community call is?"


def run(capsys: pytest.CaptureFixture[str], *argv: str, stdin: str | None = None,
        monkeypatch: pytest.MonkeyPatch | None = None) -> tuple[int, str, str]:
    if stdin is not None:
        assert monkeypatch is not None
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_check_explains_a_scam(capsys: pytest.CaptureFixture[str]) -> None:
    """`check` prints the verdict and each reason in words."""
    code, out, _ = run(capsys, "check", SCAM)
    assert code == 0
    assert out.startswith("SCAM")
    assert "recovery phrase" in out and "key_request" in out


def test_check_clean_is_honest(capsys: pytest.CaptureFixture[str]) -> None:
    """A clean message says no known pattern was found rather than 'safe'."""
    code, out, _ = run(capsys, "check", HAM)
    assert code == 0 and out.startswith("CLEAN: no known scam pattern found")


def test_check_json_follows_the_scan_contract(capsys: pytest.CaptureFixture[str]) -> None:
    """`check --json` prints the input object with verdict, score and hits added."""
    _, out, _ = run(capsys, "check", "--json", SCAM)
    obj = json.loads(out)
    assert obj["text"] == SCAM and obj["verdict"] == "scam"
    assert 0.0 <= obj["score"] <= 1.0
    assert obj["hits"] and all(
        set(h) == {"rule", "category", "severity", "reason"} for h in obj["hits"])


def test_check_reads_a_follow_up_on_request(capsys: pytest.CaptureFixture[str]) -> None:
    """`check --follow-up` reads the message as the next one of a flagged sender: a push that
    asks for nothing is suspicious and says why; without the flag it is clean."""
    push = "Bro I showed you my withdrawal screenshots already, just start small with 500"
    _, alone, _ = run(capsys, "check", push)
    assert alone.startswith("CLEAN")
    code, out, _ = run(capsys, "check", "--follow-up", push)
    assert code == 0 and out.startswith("SUSPICIOUS")
    assert "same sender" in out
    _, raw, _ = run(capsys, "check", "--json", "--follow-up", push)
    obj = json.loads(raw)
    assert obj["follow_up"] is True and "context.follow-up" in {h["rule"] for h in obj["hits"]}


def test_scan_contract(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                       ) -> None:
    """One output line per input line, in order, input keys kept; bad lines become errors,
    the scan goes on and exits 3."""
    lines = [
        json.dumps({"text": SCAM, "lang": "en", "urls": ["https://example.org"],
                    "sender": {"name": "Binance Support", "username": "bnb_help", "id": 5},
                    "forward_from": {"name": "X", "type": "hidden_user"},
                    "chat": {"type": "supergroup", "title": "T",
                             "admins": [{"name": "Alice", "username": "alice", "id": 1}]},
                    "extra": {"kept": True}}),
        "{not json",
        json.dumps({"no_text": 1}),
        json.dumps({"text": HAM}),
        json.dumps({"text": "x", "forward_from": {"type": "robot"}}),
        json.dumps({"text": "\u202e" + "🔥" * 30_000 + "\x00\x1b[31m"}),
    ]
    code, out, _ = run(capsys, "scan", "-", stdin="\n".join(lines) + "\n",
                       monkeypatch=monkeypatch)
    rows = [json.loads(x) for x in out.splitlines()]
    assert code == 3
    assert len(rows) == 6
    assert rows[0]["verdict"] == "scam" and rows[0]["extra"] == {"kept": True}
    assert rows[0]["sender"]["username"] == "bnb_help"
    assert rows[1]["line"] == 2 and "invalid JSON" in rows[1]["error"]
    assert rows[2] == {"line": 3, "error": "missing 'text'"}
    assert rows[3]["verdict"] == "clean" and rows[3]["hits"] == []
    assert rows[4]["line"] == 5 and "forward_from.type" in rows[4]["error"]
    assert rows[5]["verdict"] in ("clean", "suspicious", "scam")


def test_scan_all_good_exits_zero(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A scan with no bad line exits 0 and reads from a file."""
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"text": HAM}) + "\n", encoding="utf-8")
    code, out, _ = run(capsys, "scan", str(src))
    assert code == 0 and json.loads(out)["verdict"] == "clean"


def test_rules_lint_ok(capsys: pytest.CaptureFixture[str]) -> None:
    """The shipped rules lint clean."""
    code, out, _ = run(capsys, "rules", "lint", str(RULES_DIR))
    assert code == 0 and "OK" in out


def _copy_rules(tmp_path: Path) -> Path:
    target = tmp_path / "rules"
    shutil.copytree(RULES_DIR, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def test_rules_lint_reports_path_and_line(capsys: pytest.CaptureFixture[str],
                                          tmp_path: Path) -> None:
    """A broken rule file is reported as path:line: message with exit status 1."""
    rules = _copy_rules(tmp_path)
    bad = rules / "patterns" / "zz-broken.yaml"
    bad.write_text("rules:\n  - id: broken.rule\n    category: key_request\n"
                   "    severity: critical\n    reason: r\n    all: [no_such_concept]\n"
                   "    examples: {match: [a], no_match: [b]}\n", encoding="utf-8")
    code, out, _ = run(capsys, "rules", "lint", str(rules))
    assert code == 1
    assert f"{bad}:2: rule broken.rule: concept 'no_such_concept' is not defined" in out


def test_rules_test_runs_examples_and_corpus(capsys: pytest.CaptureFixture[str],
                                             tmp_path: Path) -> None:
    """`rules test` runs the examples and, with a corpus, prints recall and false positives."""
    corpus = tmp_path / "c.jsonl"
    corpus.write_text("\n".join(json.dumps(x) for x in [
        {"text": SCAM, "label": "scam", "lang": "en", "category": "key_request"},
        {"text": HAM, "label": "ham", "lang": "en"},
        {"text": "Buy cheap watches now", "label": "spam", "lang": "en"},
    ]) + "\n", encoding="utf-8")
    code, out, _ = run(capsys, "rules", "test", str(RULES_DIR), "--corpus", str(corpus))
    assert code == 0
    assert "examples:" in out and " 0 failed" in out
    row = next(x for x in out.splitlines() if x.startswith("lang en"))
    assert row.split()[2:4] == ["1", "100.0%"]


def test_rules_test_fails_on_a_wrong_example(capsys: pytest.CaptureFixture[str],
                                             tmp_path: Path) -> None:
    """An example that goes the wrong way fails `rules test` and names file and line."""
    rules = _copy_rules(tmp_path)
    path = rules / "patterns" / "zz-wrong.yaml"
    path.write_text("rules:\n  - id: wrong.example\n    category: key_request\n"
                    "    severity: critical\n    reason: r\n    all: [seed_phrase]\n"
                    "    examples:\n      match: ['hello there friends']\n"
                    "      no_match: ['a b c']\n", encoding="utf-8")
    code, out, _ = run(capsys, "rules", "test", str(rules))
    assert code == 1
    assert f"{path}:8: rule wrong.example: example should match but does not" in out


def test_bench_reports_both_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """`bench --json` measures the default rules and the scaled-up set."""
    code, out, _ = run(capsys, "bench", "--json", "--messages", "300", "--scale", "2")
    result = json.loads(out)
    assert code == 0
    assert set(result["runs"]) == {"default", "x2"}
    default, big = result["runs"]["default"], result["runs"]["x2"]
    assert big["pattern_rules"] == 2 * default["pattern_rules"]
    assert default["messages"] == 300 and default["messages_per_second"] > 0
    assert default["p99_ms"] >= default["p50_ms"] > 0
    worst = result["worst_case"]
    assert worst["length"] == 4096 and worst["messages"] >= 50
    assert worst["max_ms"] >= worst["p99_ms"] >= worst["p50_ms"] > 0
    # CPU time beside the wall clock (a shared machine's other processes do not count)
    assert default["cpu_seconds"] > 0 and default["messages_per_cpu_second"] > 0
    assert worst["cpu_max_ms"] >= worst["cpu_p99_ms"] >= worst["cpu_p50_ms"] > 0
    # each message's best of several checks is its own cost: never above its single pass
    assert worst["repeats"] == 3
    assert worst["best_max_ms"] >= worst["best_p99_ms"] >= worst["best_p50_ms"] > 0
    assert worst["best_max_ms"] <= worst["max_ms"] and worst["best_p50_ms"] <= worst["p50_ms"]
    assert worst["within_bound"] == (worst["best_max_ms"] <= worst["bound_ms"])
    assert worst["single_pass_within_bound"] == (worst["max_ms"] <= worst["bound_ms"])


@pytest.mark.parametrize(
    ("severities", "sensitivity", "expected"),
    [
        ([], "normal", "clean"),
        ([Severity.LOW], "normal", "clean"),
        ([Severity.MEDIUM], "normal", "suspicious"),
        ([Severity.HIGH], "normal", "suspicious"),
        ([Severity.HIGH, Severity.MEDIUM], "normal", "scam"),
        ([Severity.CRITICAL], "normal", "scam"),
        ([Severity.CRITICAL], "low", "scam"),
        ([Severity.HIGH], "low", "suspicious"),
        ([Severity.MEDIUM], "low", "clean"),
        ([Severity.HIGH], "high", "scam"),
    ],
    ids=["none", "low", "medium", "high", "high+medium", "critical", "critical-lowsens",
         "high-lowsens", "medium-lowsens", "high-highsens"],
)
def test_score_combines_hits_by_noisy_or(severities: list[Severity], sensitivity: str,
                                         expected: str) -> None:
    """Hits combine by noisy-OR of severity weights; the chat's sensitivity moves thresholds."""
    hits = [Hit(f"r{i}", "c", s, "r") for i, s in enumerate(severities)]
    score = combine(hits)
    keep = 1.0
    for s in severities:
        keep *= 1 - SEVERITY_WEIGHT[s]
    assert score == pytest.approx(1 - keep)
    assert label(score, sensitivity) == expected
    assert set(THRESHOLDS) == {"low", "normal", "high"}


def test_rules_lint_checks_reply_texts_too(capsys: pytest.CaptureFixture[str],
                                           tmp_path: Path) -> None:
    """A broken reply-text file is a lint error too, as the bot would refuse it on reload."""
    rules = _copy_rules(tmp_path)
    path = rules / "messages" / "en.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n  - [unclosed\n", encoding="utf-8")
    code, out, _ = run(capsys, "rules", "lint", str(rules))
    assert code == 1 and f"{path}:" in out


def test_rules_test_sensitivity_moves_the_threshold(capsys: pytest.CaptureFixture[str],
                                                    tmp_path: Path) -> None:
    """`--sensitivity low` needs more evidence than the default before a line is flagged."""
    rules = _copy_rules(tmp_path)
    (rules / "patterns" / "zz-medium.yaml").write_text(
        "rules:\n  - id: zz.medium\n    category: key_request\n    severity: medium\n"
        "    reason: r\n    all: [seed_phrase]\n"
        "    examples: {match: ['my seed phrase'], no_match: ['hello there']}\n",
        encoding="utf-8")
    corpus = tmp_path / "c.jsonl"
    corpus.write_text(json.dumps({"text": "the seed phrase thing", "label": "scam",
                                  "lang": "en"}) + "\n", encoding="utf-8")
    rows = {}
    for sensitivity in ("low", "normal"):
        _, out, _ = run(capsys, "rules", "test", str(rules), "--corpus", str(corpus),
                           "--sensitivity", sensitivity)
        rows[sensitivity] = next(x for x in out.splitlines() if x.startswith("all")).split()[2]
    assert rows == {"low": "0.0%", "normal": "100.0%"}


def test_scan_survives_lone_surrogates(capsys: pytest.CaptureFixture[str],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A JSON line with a lone surrogate escape gets its verdict and the scan goes on."""
    lines = '{"text": "\\ud800 send me your seed phrase"}\n{"text": "hello"}\n'
    code, out, _ = run(capsys, "scan", "-", stdin=lines, monkeypatch=monkeypatch)
    rows = [json.loads(x) for x in out.splitlines()]
    assert code == 0
    assert [r["verdict"] for r in rows] == ["scam", "clean"]
    assert rows[0]["text"] == "\ud800 send me your seed phrase"


def test_rules_test_summary_prints_rates_never_lines(capsys: pytest.CaptureFixture[str],
                                                     tmp_path: Path) -> None:
    """`--summary` (for the blind split) prints rates per language, category and kind, and
    neither a line's text nor a rule's name."""
    corpus = tmp_path / "blind.jsonl"
    lines = [
        {"text": "zqx marker one: send me your 12 word recovery phrase now", "label": "scam",
         "lang": "en", "category": "key_request"},
        {"text": "zqx marker two: never share your recovery phrase with anyone",
         "label": "ham", "lang": "en", "category": "safety_warning"},
    ]
    corpus.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    code, out, _ = run(capsys, "rules", "test", "--corpus", str(corpus), "--summary")
    assert code == 0
    assert "zqx" not in out and "key-request." not in out
    assert "category key_request" in out and "kind safety_warning" in out
    assert "100.0%" in out
    # and per language: the scams of one category, the hard negatives of one kind
    by_lang = {line.split()[0] + " " + line.split()[1]: line.split()[2:]
               for line in out.splitlines() if line.startswith("en ")}
    assert by_lang["en key_request"][:2] == ["1", "100.0%"]
    assert by_lang["en safety_warning"][2:] == ["1", "0.0%"]


def test_rules_test_reads_conversations_with_follow_ups(capsys: pytest.CaptureFixture[str],
                                                         tmp_path: Path) -> None:
    """Lines with a `conv` are one sender's messages in order: a turn after a flagged one is
    checked as a follow-up (a push that asks for nothing is then flagged), and the summary
    gives those turns' rates; the same push in a conversation not flagged before stays clean."""
    push = "Bro I showed you my withdrawal screenshots already, just start small with 500"
    corpus = tmp_path / "conversations.jsonl"
    lines = [
        {"text": SCAM, "label": "scam", "lang": "en", "conv": "a", "turn": 1},
        {"text": push, "label": "scam", "lang": "en", "conv": "a", "turn": 2},
        {"text": HAM, "label": "ham", "lang": "en", "conv": "b", "turn": 1},
        {"text": push, "label": "scam", "lang": "en", "conv": "b", "turn": 2},
    ]
    corpus.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    code, out, _ = run(capsys, "rules", "test", "--corpus", str(corpus), "--summary")
    assert code == 0
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line.strip()}
    assert rows["all"][:2] == ["3", "66.7%"]
    assert rows["follow-ups"][:2] == ["1", "100.0%"]
    assert "Bro" not in out


def test_rules_test_summary_prints_rates_per_file(capsys: pytest.CaptureFixture[str],
                                                 tmp_path: Path) -> None:
    """`--summary` also gives each corpus file its rates (a real corpus's unseen half is
    measured per file), still without a line's text."""
    for name, rows in (("alpha.jsonl", [{"text": SCAM, "label": "scam", "lang": "en"}]),
                       ("beta.jsonl", [{"text": HAM, "label": "ham", "lang": "en"},
                                       {"text": HAM + " again", "label": "ham", "lang": "en"}])):
        (tmp_path / name).write_text("".join(json.dumps(x) + "\n" for x in rows),
                                     encoding="utf-8")
    code, out, _ = run(capsys, "rules", "test", "--corpus", str(tmp_path / "alpha.jsonl"),
                       str(tmp_path / "beta.jsonl"), "--summary")
    assert code == 0
    files = {line.split()[1]: line.split()[2:] for line in out.splitlines()
             if line.startswith("file ")}
    assert files["alpha.jsonl"][:2] == ["1", "100.0%"]
    assert files["beta.jsonl"][2:] == ["2", "0.0%"]
    assert SCAM[:20] not in out and HAM[:20] not in out


def test_rules_test_half_selects_lines_by_number(capsys: pytest.CaptureFixture[str],
                                                 tmp_path: Path) -> None:
    """`--half odd|even` keeps the odd- or even-numbered lines of each file."""
    corpus = tmp_path / "c.jsonl"
    rows = [{"text": SCAM, "label": "scam", "lang": "en"},
            {"text": HAM, "label": "ham", "lang": "en"},
            {"text": SCAM + " today", "label": "scam", "lang": "en"}]
    corpus.write_text("".join(json.dumps(x) + "\n" for x in rows), encoding="utf-8")
    _, odd, _ = run(capsys, "rules", "test", "--corpus", str(corpus), "--half", "odd",
                    "--summary")
    _, even, _ = run(capsys, "rules", "test", "--corpus", str(corpus), "--half", "even",
                     "--summary")
    assert odd.splitlines()[2].split()[:4] == ["all", "2", "100.0%", "0"]
    assert even.splitlines()[2].split()[:4] == ["all", "0", "-", "1"]
