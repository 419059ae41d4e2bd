"""`scamguard model train`: rebuild the learned layer from labelled lines."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from bot.commands.core import EXIT_FAIL, EXIT_OK
from bot.errors import RuleSetError
from rules import RULES_DIR

# The project's own train split, beside the package in a source checkout.
DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "tests" / "corpus" / "train"
CARD_FILE = "MODEL_CARD.md"


def register(sub: Any) -> None:
    model = sub.add_parser("model", help="train the learned layer")
    msub = model.add_subparsers(dest="model_command", metavar="ACTION")
    model.set_defaults(func=lambda args: (model.print_help(), 2)[1])
    p = msub.add_parser("train", help="fit the text model and the combination weights")
    p.add_argument("--rules", type=Path, default=None,
                   help="rules directory whose rules the combination weighs (default: bundled)")
    p.add_argument("--out", type=Path, default=None,
                   help="where to write the model (default: RULES/model)")
    p.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, metavar="DIR",
                   help="the project's train split: *.jsonl labelled lines")
    p.add_argument("--dev", type=Path, default=None, metavar="DIR",
                   help="real corpora directory; only the permissively licensed files are "
                        "used, and only their odd-numbered lines")
    p.add_argument("--with-feedback", action="store_true",
                   help="add the labels gathered in deployment (database SCAMGUARD_DB or --db)")
    p.add_argument("--db", default=None,
                   help="database with the feedback labels; '-' reads it from the first line "
                        "of standard input (keeps a PostgreSQL password out of the process "
                        "list)")
    p.add_argument("--bits", type=int, default=None, help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_model_train)


def _feedback(db: str | None) -> list[dict[str, Any]]:
    from bot.storage import open_storage

    async def read() -> list[dict[str, Any]]:
        storage = await open_storage(db or "scamguard.db")
        try:
            return await storage.labelled_lines()
        finally:
            await storage.close()

    return asyncio.run(read())


def cmd_model_train(args: argparse.Namespace) -> int:
    try:
        from bot import learn
    except ModuleNotFoundError as exc:  # pragma: no cover - depends on the install
        print(f"scamguard model train needs the training extra (pip install "
              f"'scamguard[train]'): {exc}", file=sys.stderr)
        return EXIT_FAIL
    from bot.core.ruleset import load_ruleset

    rules_dir = args.rules or RULES_DIR
    out = args.out or Path(rules_dir) / "model"
    try:
        rules = load_ruleset(rules_dir)
    except RuleSetError as exc:
        for error in exc.errors:
            print(error, file=sys.stderr)
        return EXIT_FAIL
    try:
        lines = learn.project_lines(args.corpus)
    except (OSError, ValueError) as exc:
        print(f"scamguard model train: {exc}", file=sys.stderr)
        return EXIT_FAIL
    sources = {"project train split": len(lines)}
    examples = learn.example_lines(rules)
    lines += examples
    sources["rule examples"] = len(examples)
    if args.dev:
        dev = learn.dev_lines(args.dev)
        lines += dev
        sources["real corpora (odd lines)"] = len(dev)
    if args.with_feedback:
        db = (sys.stdin.readline().strip() or None) if args.db == "-" else args.db
        feedback = learn.feedback_lines(_feedback(db), lines)
        lines += feedback
        sources["feedback labels"] = len(feedback)
    trained = learn.train(lines, rules, **({"bits": args.bits} if args.bits else {}))
    card = {"sources": sources, "report": trained.report,
            "licences": dict(learn.PERMISSIVE_DEV) if args.dev else {}}
    weights, combiner = learn.save(trained, out, card)
    (out / CARD_FILE).write_text(model_card(trained, card), encoding="utf-8")
    print(f"wrote {weights} and {combiner}")
    for name, row in trained.report["validation"].items():
        hard = row["hard_negatives"]
        print(f"validation ({name}): recall {_pct(hard['recall'])}, hard negatives flagged "
              f"{_pct(hard['flagged'])}, everyday flagged {_pct(row['everyday_flagged'])}")
    return EXIT_OK


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def model_card(trained: Any, card: dict[str, Any]) -> str:
    from bot import learn

    lines = [
        "# Model card: scamguard's learned layer",
        "",
        "Files: `text-model.npz` (text model and category model), `combiner.json` (how rule "
        "hits, the text model and the scope signals are weighed; thresholds per "
        "sensitivity). Rebuilt by `scamguard model train` (see README, Detection quality).",
        "",
        "## What it is",
        f"- Text model: logistic regression over {len(trained.weights):,} "
        "hashed character n-grams (1-5) of the normalised text (digits as 0); no word "
        "segmentation, so Chinese and Thai need nothing special. Each n-gram is scaled by "
        "its naive-Bayes log-count ratio (scams against the rest, smoothing "
        f"{learn.NB_ALPHA}) before the fit, and the scale is folded into the shipped weights.",
        f"- Category model: multinomial logistic regression over the same n-grams, read into "
        f"{trained.cat_weights.shape[1]:,} buckets (the top bits of the text model's), "
        f"classes: {', '.join(trained.categories)}. Used only to explain a model-driven "
        "verdict.",
        "- Combination: logistic regression over rule hits (severity prior + a bounded "
        "per-rule adjustment), the text model's out-of-fold logit and the scope signals "
        "(advice, discussion / reported speech, negation, question, quotation; alone and "
        "times the model's push).",
        "",
        "## Data",
    ]
    for name, count in card["sources"].items():
        lines.append(f"- {name}: {count} lines")
    if card.get("licences"):
        lines.append("- real corpora used, with their licences: " + ", ".join(
            f"{k} ({v})" for k, v in card["licences"].items()))
    lines += [
        f"- after removing duplicates: {trained.report['lines']} lines "
        f"({trained.report['scam']} scam, {trained.report['ham']} not scam)",
        "- never trained on: the blind split (tests/corpus/blind), research-only or "
        "unlicensed corpora, even-numbered lines of the real corpora.",
        "",
        "## Figures on held-out scores",
        "",
        "Every line scored by a text model and a combination fitted on the other four of five "
        "folds.",
        "",
        "| sensitivity | thresholds (suspicious, scam) | recall | hard negatives flagged "
        "| everyday messages flagged |",
        "|---|---|---:|---:|---:|",
    ]
    for name, row in trained.report["validation"].items():
        low, high = trained.combiner.thresholds[name]
        hard = row["hard_negatives"]
        lines.append(f"| {name} | {low:.3f}, {high:.3f} | {_pct(hard['recall'])} | "
                     f"{_pct(hard['flagged'])} | {_pct(row['everyday_flagged'])} |")
    lines += [
        "",
        "False-positive budgets the thresholds were chosen for (suspicious; scam), as shares "
        "of hard negatives / everyday messages: " + "; ".join(
            f"{k}: {a[0]:.1%}/{a[1]:.2%}, {b[0]:.1%}/{b[1]:.2%}"
            for k, (a, b) in learn.BUDGETS.items())
        + f". A budget of everyday messages that allows fewer than {learn.TAIL_BELOW} of them "
        f"is read from the top {learn.TAIL_SHARE:.0%} of their scores (an exponential tail of "
        "the log-odds), not from the one score at the budget.",
        "",
        "The figures the project claims are the blind split's, in README.",
        "",
    ]
    return "\n".join(lines)
