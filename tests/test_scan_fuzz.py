"""A bounded fuzz of the scan input: every field of the scan-input object gets generated
values (lone surrogates, Chinese, RTL and invisible characters, very long and wrong-typed
values); every line yields exactly one output line in order, and no line ends the scan."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from bot.cli import main
from bot.commands.core import dump_json, scan_lines
from bot.core.detector import Detector
from bot.core.ruleset import load_ruleset
from rules import RULES_DIR

LINES = 1500
PIECES = [
    "\ud800", "\udfff", "\ud83d", "\udc00x", "這裡是警察局", "管理員", "admin", "Mai Admin | Help",
    "\u202e", "\u200b", "\ufeff", "ｂｉｎａｎｃｅ", "send your 12 words", "https://xn--bnance-.com",
    "t.me/x", "@mai_adm1n", "0x" + "a" * 40, "\x00", "\n", "é", "🙂", "ก", "Cảm ơn", " ",
]
TYPES = ["user", "hidden_user", "chat", "channel"]


def _text(rng: random.Random, max_pieces: int = 8) -> str:
    return "".join(rng.choice(PIECES) for _ in range(rng.randint(0, max_pieces)))


def _maybe_wrong(rng: random.Random, value: Any) -> Any:
    """Mostly the value; sometimes a wrong type, which must give an error line."""
    return rng.choice([value] * 60 + [None, 7, [value], {"x": value}, True])


def _person(rng: random.Random) -> dict[str, Any]:
    return {"name": _maybe_wrong(rng, _text(rng)), "username": _maybe_wrong(rng, _text(rng, 2)),
            "id": _maybe_wrong(rng, rng.randint(1, 10**10))}


def generated_input(rng: random.Random) -> dict[str, Any]:
    """One scan-input object with every field present or absent at random."""
    obj: dict[str, Any] = {"text": _maybe_wrong(rng, _text(rng, 20))}
    if rng.random() < 0.6:
        obj["urls"] = _maybe_wrong(rng, [f"https://{_text(rng, 2)}.example/{_text(rng, 2)}"])
    if rng.random() < 0.3:
        obj["anchors"] = [{"text": _text(rng, 3), "url": _maybe_wrong(rng, "https://x.example")}]
    if rng.random() < 0.7:
        obj["sender"] = _person(rng)
    if rng.random() < 0.5:
        obj["forward_from"] = {**_person(rng), "type": rng.choice(TYPES)}
    if rng.random() < 0.6:
        obj["chat"] = {"type": _maybe_wrong(rng, rng.choice(["group", "supergroup", "private"])),
                       "title": _maybe_wrong(rng, _text(rng, 4)),
                       "admins": [_person(rng) for _ in range(rng.randint(0, 3))]}
    if rng.random() < 0.5:
        obj["lang"] = _maybe_wrong(rng, rng.choice(["vi", "zh", "en", _text(rng, 1)]))
    return obj


def generated_lines(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    lines = []
    for _ in range(count):
        line = json.dumps(generated_input(rng))  # ASCII escapes: lone surrogates stay in
        if rng.random() < 0.02:
            line = line[: rng.randint(0, len(line))]  # truncated JSON
        lines.append(line)
    return lines


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector(load_ruleset(RULES_DIR))


def test_every_fuzzed_line_gets_its_own_answer(detector: Detector):
    """1,500 generated lines: one output per line in order, valid lines get a verdict, bad
    ones a `{"line", "error"}` naming a field, never an internal error, and every output
    line can be written as JSON."""
    lines = generated_lines(12, LINES)
    outputs = list(scan_lines(detector, lines))
    assert len(outputs) == LINES
    for number, (line, (out, ok)) in enumerate(zip(lines, outputs, strict=True), 1):
        if ok:
            assert out["verdict"] in ("clean", "suspicious", "scam")
        else:
            assert out["line"] == number
            assert not out["error"].startswith("internal error"), (line, out)
        json.loads(dump_json(out))
    assert sum(ok for _, ok in outputs) > LINES * 0.5


FIELDS = ["text", "sender.name", "sender.username", "forward_from.name",
          "forward_from.username", "chat.title", "chat.admins.name", "chat.admins.username",
          "urls", "lang", "anchors.text"]
SURROGATE_VALUE = "\ud800 這裡 Admin \udfff"


def with_surrogate(field: str) -> dict[str, Any]:
    """A scan input with a lone surrogate and Chinese text in `field`."""
    value = SURROGATE_VALUE
    obj: dict[str, Any] = {"text": "hello 這裡"}
    where, _, key = field.partition(".")
    if where == "chat":
        obj["chat"] = {"type": "supergroup", "title": "G", "admins": [{"name": "Mai"}]}
        if key == "title":
            obj["chat"]["title"] = value
        else:
            obj["chat"]["admins"][0][key.split(".")[1]] = value
    elif where in ("sender", "forward_from"):
        obj[where] = {key: value}
    elif where == "urls":
        obj["urls"] = [f"https://a{value}.example"]
    elif where == "anchors":
        obj["anchors"] = [{"text": value, "url": "https://a.example"}]
    else:
        obj[where] = value
    return obj


@pytest.mark.parametrize("field", FIELDS)
def test_a_lone_surrogate_in_any_field_gets_a_verdict(detector: Detector, field: str):
    """A lone surrogate (which JSON allows) in any string field, with Chinese text beside
    it, yields a verdict, not an error."""
    [(out, ok)] = scan_lines(detector, [json.dumps(with_surrogate(field))])
    assert ok, out
    assert out["verdict"] in ("clean", "suspicious", "scam")


def test_scan_command_loses_no_line_after_lone_surrogates(capsys, tmp_path):
    """`scamguard scan` over one line per field with a lone surrogate, each followed by a
    plain line: every line gets its verdict, in order, and the exit status is 0."""
    lines = []
    for field in FIELDS:
        lines += [json.dumps(with_surrogate(field)), json.dumps({"text": f"after {field}"})]
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["scan", str(path)]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(out) == len(lines)
    assert all("verdict" in o for o in out)
    assert [o["text"] for o in out[1::2]] == [f"after {field}" for field in FIELDS]
