"""The link detection targets on the labelled link data in tests/data/links (the README table)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.commands.lists import TARGETS, evaluate, meets
from bot.core.links import load_link_data
from rules import RULES_DIR

DATA = Path(__file__).resolve().parent / "data" / "links"


@pytest.fixture(scope="module")
def results():
    return {r.name: r for r in evaluate(load_link_data(RULES_DIR), DATA)}


@pytest.mark.parametrize("name", sorted(TARGETS), ids=sorted(TARGETS))
def test_target_is_met(results, name):
    """Each labelled set meets its README target (flag rate above or below the bound)."""
    result = results[name]
    assert result.total > 0
    assert meets(result), f"{name}: {result.flagged}/{result.total}, wrong: {result.wrong[:20]}"


def test_every_homoglyph_vector_is_judged(results):
    """All 56 homoglyph vectors are evaluated: imitations plus same-domain spellings."""
    assert results["homoglyph_imitations"].total + results["homoglyph_same_domain"].total == 56


def test_links_eval_command(capsys):
    """`scamguard links eval` prints the table and exits 0 when every target is met."""
    assert main(["links", "eval", "--rules", str(RULES_DIR), "--data", str(DATA)]) == 0
    out = capsys.readouterr().out
    assert "| typosquats_dnstwist_dev | 888 |" in out


def test_links_eval_json(capsys):
    """`scamguard links eval --json` reports every set with its target."""
    assert main(["links", "eval", "--json", "--rules", str(RULES_DIR), "--data", str(DATA)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {r["set"] for r in out["results"]} == set(TARGETS)
    assert all(r["meets"] for r in out["results"])
    assert out["blocklist"] > 50_000


def test_bench_hooks_grow_the_blocklist(tmp_path):
    """The bench hooks report sizes and add synthetic blocklist entries to a copied folder."""
    import random
    import shutil

    rules = tmp_path / "rules"
    shutil.copytree(RULES_DIR, rules, ignore=shutil.ignore_patterns("__pycache__"))
    base = load_link_data(rules)
    base.bench_scale(rules, 1, random.Random(1))
    grown = load_link_data(rules)
    assert grown.sizes()["blocklist"] == 2 * base.sizes()["blocklist"]


def test_links_eval_needs_its_data_as_an_argument(capsys):
    """`links eval` reads no folder of the source tree on its own: without --data it is a
    usage error (exit 2), as in an installed package that has no tests/data."""
    with pytest.raises(SystemExit) as exc:
        main(["links", "eval", "--rules", str(RULES_DIR)])
    assert exc.value.code == 2
    assert "--data" in capsys.readouterr().err


def test_links_eval_names_missing_data_files(tmp_path, capsys):
    """A --data folder without the labelled files is a clear error naming them, not a
    traceback."""
    (tmp_path / "typosquats_dnstwist_dev.tsv").write_text("", encoding="utf-8")
    assert main(["links", "eval", "--rules", str(RULES_DIR), "--data", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "real_punycode_phish_dev.tsv" in err and "typosquats_dnstwist_dev.tsv" not in err
