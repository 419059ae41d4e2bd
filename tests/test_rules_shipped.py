"""The shipped rule set: it loads cleanly, validates against its schemas, every rule's own
examples go the right way, and every language has the same structure of rules."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from bot.core import Detector, load_ruleset
from bot.core.evaluate import run_examples
from bot.core.yamlfile import read_yaml
from rules import RULES_DIR

LANGUAGES = ("en", "vi", "id", "zh", "th", "ms", "tl", "sv")
SCHEMA_TARGETS = {
    "lexicon": "lexicon/*.yaml",
    "patterns": "patterns/*.yaml",
    "brands": "brands.yaml",
    "samples": "samples/*.yaml",
    "messages": "messages/*.yaml",
    "contacts": "contacts.yaml",
}

RULESET = load_ruleset(RULES_DIR)
DETECTOR = Detector(RULESET)
_, FAILURES = run_examples(DETECTOR)


def _plain(value: object) -> object:
    """YAML values with line numbers, as plain JSON types for schema validation."""
    return json.loads(json.dumps(value))


def test_every_language_has_a_lexicon() -> None:
    """The eight languages each have a lexicon file."""
    assert set(LANGUAGES) <= set(RULESET.patterns.languages)


@pytest.mark.parametrize("rule", RULESET.patterns.rules, ids=lambda r: r.id)
def test_rule_examples(rule) -> None:  # type: ignore[no-untyped-def]
    """Each rule matches its `match` examples and none of its `no_match` examples."""
    mine = [str(f) for f in FAILURES if f.rule.id == rule.id]
    assert mine == []


def test_rules_have_examples_both_ways() -> None:
    """Every rule ships with at least one example that must match and one that must not."""
    assert all(rule.match and rule.no_match for rule in RULESET.patterns.rules)


@pytest.mark.parametrize("schema_name", sorted(SCHEMA_TARGETS))
def test_rule_files_validate_against_their_schema(schema_name: str) -> None:
    """Editors validate rule files with rules/schema/*.json; the shipped files pass them."""
    schema_path = RULES_DIR / "schema" / f"{schema_name}.schema.json"
    files = sorted(RULES_DIR.glob(SCHEMA_TARGETS[schema_name]))
    if not schema_path.exists():
        assert files == [], f"{schema_name} files exist without {schema_path.name}"
        return
    validator = Draft202012Validator(json.loads(schema_path.read_text(encoding="utf-8")))
    problems = [
        f"{Path(path).relative_to(RULES_DIR)}: {'/'.join(map(str, e.path))}: {e.message}"
        for path in files
        for e in validator.iter_errors(_plain(read_yaml(path)))
    ]
    assert problems == []


SHARED_CATEGORIES = (
    "key_request", "otp_request", "fake_support", "wallet_drainer", "giveaway", "recovery",
    "job_task", "investment", "official_impersonation", "advance_fee",
)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_each_language_covers_every_shared_concept(lang: str) -> None:
    """Every concept the shared rules need has phrases in every language."""
    needed = {
        concept
        for rule in RULESET.patterns.rules
        if rule.category in SHARED_CATEGORIES and not rule.id.startswith("lang-")
        for concept in rule.all
        if not concept.startswith("@")
    }
    missing = sorted(c for c in needed
                     if lang not in RULESET.patterns.concept_langs.get(c, frozenset()))
    assert missing == []


def test_every_category_has_rules() -> None:
    """Each scam category named in the architecture has at least one rule."""
    have = {rule.category for rule in RULESET.patterns.rules}
    assert set(SHARED_CATEGORIES) <= have


def test_the_schema_knows_every_builtin_concept() -> None:
    """An editor's schema that rejects a builtin concept the engine fills in would flag every
    rule using it."""
    from bot.core.patterns import BUILTIN_CONCEPTS

    schema = json.loads((RULES_DIR / "schema" / "patterns.schema.json").read_text("utf-8"))
    pattern = re.compile(schema["$defs"]["concepts"]["items"]["pattern"])
    assert all(pattern.match(name) for name in BUILTIN_CONCEPTS)
