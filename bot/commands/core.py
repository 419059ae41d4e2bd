"""`scamguard check | scan | rules lint | rules test | bench`: the detection core on the command
line."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from bot.core.detector import THRESHOLDS, Detector
from bot.core.model import CheckRequest, RequestError, Verdict
from bot.core.ruleset import load_ruleset
from bot.errors import RuleSetError
from rules import RULES_DIR

log = logging.getLogger(__name__)

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_BAD_LINES = 0, 1, 2, 3


def register(sub: Any) -> None:
    p = sub.add_parser("check", help="verdict for one message")
    p.add_argument("text", nargs="+", help="the message text ('-' reads it from stdin)")
    p.add_argument("--json", action="store_true", help="print the scan-output JSON object")
    p.add_argument("--rules", type=Path, default=None, help="rules directory")
    p.add_argument("--lang", default=None, help="language of the message, if known")
    p.add_argument("--follow-up", action="store_true",
                   help="read it as a follow-up: the same sender was flagged a moment ago")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("scan", help="JSONL in, JSONL out (one verdict per line)")
    p.add_argument("file", help="input file, '-' for stdin")
    p.add_argument("--rules", type=Path, default=None, help="rules directory")
    p.set_defaults(func=cmd_scan)

    rules = sub.add_parser("rules", help="lint and test rule files")
    rsub = rules.add_subparsers(dest="rules_command", metavar="ACTION")
    rules.set_defaults(func=lambda args: (rules.print_help(), EXIT_USAGE)[1])
    p = rsub.add_parser("lint", help="validate rule files (errors as path:line: message)")
    p.add_argument("dir", nargs="?", type=Path, default=None)
    p.set_defaults(func=cmd_rules_lint)
    p = rsub.add_parser("test", help="run every rule's examples; measure on labelled corpora")
    p.add_argument("dir", nargs="?", type=Path, default=None)
    p.add_argument("--corpus", action="extend", nargs="+", type=Path, default=[],
                   metavar="FILE",
                   help="labelled JSONL (text, label, lang, category); repeatable")
    p.add_argument("--json", action="store_true", help="print the corpus report as JSON")
    p.add_argument("--sensitivity", choices=sorted(THRESHOLDS), default="normal",
                   help="a chat's sensitivity setting (moves the thresholds)")
    p.add_argument("--half", choices=("odd", "even"), default=None,
                   help="only the odd- or even-numbered lines of each corpus file (the real "
                        "corpora's odd lines were tuned and trained on, the even ones not)")
    p.add_argument("--summary", action="store_true",
                   help="print only rates per language, category and kind, never a line or a "
                        "rule name (for the blind split)")
    p.add_argument("--show", type=int, default=20, metavar="N",
                   help="false positives and misses to list (default 20)")
    p.set_defaults(func=cmd_rules_test)

    p = sub.add_parser("bench", help="throughput and latency of the detection core")
    p.add_argument("--json", action="store_true")
    p.add_argument("--rules", type=Path, default=None, help="rules directory")
    p.add_argument("--messages", type=int, default=20_000, help="messages per run")
    p.add_argument("--scale", type=int, default=10,
                   help="also measure with this many times the rules and list entries (0: skip)")
    p.set_defaults(func=cmd_bench)


def _detector(rules_dir: Path | None, out: IO[str] = sys.stderr) -> Detector:
    return Detector(load_ruleset(rules_dir or RULES_DIR))


def dump_json(obj: Any) -> str:
    """One JSON line; readable UTF-8, or ASCII escapes when the input carried lone surrogates
    that UTF-8 cannot encode (the same escapes the input used)."""
    line = json.dumps(obj, ensure_ascii=False)
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:
        line = json.dumps(obj)
    return line


def explain(verdict: Verdict) -> str:
    """A readable explanation of a verdict for the terminal."""
    head = {
        "scam": "SCAM",
        "suspicious": "SUSPICIOUS",
        "clean": "CLEAN: no known scam pattern found",
    }[verdict.verdict]
    lines = [f"{head} (score {verdict.score:.2f})"]
    for hit in verdict.hits:
        lines.append(f"  - [{hit.severity.label}] {hit.category}: {hit.reason}  ({hit.rule})")
    return "\n".join(lines)


def cmd_check(args: argparse.Namespace) -> int:
    text = " ".join(args.text)
    if text == "-":
        text = sys.stdin.read()
    detector = _detector(args.rules)
    request = CheckRequest(text, lang=args.lang, follow_up=args.follow_up)
    verdict = detector.check(request)
    if args.json:
        print(dump_json({**request.to_dict(), **verdict.to_dict()}))
    else:
        print(explain(verdict))
    return EXIT_OK


def scan_lines(detector: Detector, lines: Iterable[str]) -> Iterator[tuple[dict[str, Any], bool]]:
    """The scan contract: one output object per input line, in order; bad lines become
    `{"line": N, "error": ...}` and the scan goes on."""
    for number, line in enumerate(lines, 1):
        line = line.rstrip("\r\n")
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield {"line": number, "error": f"invalid JSON: {exc.msg}"}, False
            continue
        try:
            request = CheckRequest.from_dict(obj)
        except RequestError as exc:
            yield {"line": number, "error": str(exc)}, False
            continue
        try:
            verdict = detector.check(request)
        except Exception as exc:  # a defect in a check must not end the whole scan
            log.exception("scan line %d: the detector failed", number)
            yield {"line": number, "error": f"internal error: {type(exc).__name__}"}, False
            continue
        yield {**obj, **verdict.to_dict()}, True


def cmd_scan(args: argparse.Namespace) -> int:
    detector = _detector(args.rules)
    failed = False
    if args.file == "-":
        source: IO[str] = sys.stdin
    else:
        try:
            source = open(args.file, encoding="utf-8", errors="replace")  # noqa: SIM115
        except OSError as exc:
            print(f"scamguard scan: {exc}", file=sys.stderr)
            return EXIT_FAIL
    with source:
        for out, ok in scan_lines(detector, source):
            failed |= not ok
            sys.stdout.write(dump_json(out) + "\n")
    return EXIT_BAD_LINES if failed else EXIT_OK


def cmd_rules_lint(args: argparse.Namespace) -> int:
    """Every rule file of the folder, reply texts and contacts included, as the bot loads it."""
    from bot.rulesholder import load_active

    directory = args.dir or RULES_DIR
    try:
        ruleset = load_active(directory).detector.rules
    except RuleSetError as exc:
        for error in exc.errors:
            print(error)
        print(f"{len(exc.errors)} problem(s) in {directory}", file=sys.stderr)
        return EXIT_FAIL
    n = len(ruleset.patterns.rules)
    langs = ", ".join(ruleset.patterns.languages) or "none"
    if ruleset.warnings:
        # the rules load and work alone, but the learned layer would be left out
        for warning in ruleset.warnings:
            print(warning)
        print(f"{directory}: {n} pattern rules load, but the learned layer does not: the "
              "rules would work alone", file=sys.stderr)
        return EXIT_FAIL
    model = " and the learned layer" if ruleset.model is not None else ""
    print(f"{directory}: {n} pattern rules{model}, lexicons: {langs}: OK")
    return EXIT_OK


def _pct(x: float | None) -> str:
    return "   -  " if x is None else f"{100 * x:5.1f}%"


def cmd_rules_test(args: argparse.Namespace) -> int:
    from bot.core.evaluate import LabelledLine, evaluate, read_corpus, run_examples

    directory = args.dir or RULES_DIR
    try:
        detector = Detector(load_ruleset(directory))
    except RuleSetError as exc:
        for error in exc.errors:
            print(error)
        return EXIT_FAIL
    count, failures = run_examples(detector)
    for failure in failures:
        print(failure)
    print(f"examples: {count - len(failures)} passed, {len(failures)} failed")
    status = EXIT_FAIL if failures else EXIT_OK
    if not args.corpus:
        return status
    lines: list[LabelledLine] = []
    for path in args.corpus:
        try:
            found = list(read_corpus(path))
            if args.half:
                keep = 1 if args.half == "odd" else 0
                found = [x for x in found if int(x.source.rsplit(":", 1)[1]) % 2 == keep]
            lines.extend(found)
        except (OSError, ValueError) as exc:
            print(f"scamguard rules test: {exc}", file=sys.stderr)
            return EXIT_FAIL
    report = evaluate(detector, lines, args.sensitivity)
    if args.summary:
        print(summary_table(report))
        return status
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
        return status
    print()
    print(f"{'':24} {'scam':>6} {'recall':>7} {'ham':>6} {'FP':>5} {'FP rate':>7} "
          f"{'precision':>9}")
    rows = [("all", report.total)]
    rows += [(f"lang {k}", v) for k, v in sorted(report.by_lang.items())]
    rows += [(f"file {k}", v) for k, v in sorted(report.by_file.items())]
    rows += [(f"category {k}", v) for k, v in sorted(report.by_category.items())]
    for name, t in rows:
        print(f"{name[:24]:24} {t.scam:6d} {_pct(t.recall):>7} {t.ham:6d} {t.fp:5d} "
              f"{_pct(t.fp_rate):>7} {_pct(t.precision):>9}")
    if report.spam:
        print(f"spam lines (not judged): {report.spam}, flagged {report.spam_flagged}")
    if report.fp_rules:
        print("\nrules behind false positives: " + ", ".join(
            f"{k} ({v})" for k, v in report.fp_rules.most_common(15)))
    if report.false_positives and args.show:
        print(f"\nfalse positives ({len(report.false_positives)}):")
        for line, fired in report.false_positives[: args.show]:
            print(f"  {line.source} [{line.lang}] {', '.join(fired)}: {line.text[:160]!r}")
    if report.misses and args.show:
        print(f"\nmisses ({len(report.misses)}):")
        for line in report.misses[: args.show]:
            print(f"  {line.source} [{line.lang}/{line.category}]: {line.text[:160]!r}")
    return status


def summary_table(report: Any) -> str:
    """Rates only: flagged scams per language, file and category, flagged hard negatives per
    language, file and kind, and both per language ("sv investment", "th scam_discussion").
    Nothing that quotes or points at a line: a file's name is no line of it, and its rates
    are what the real corpora's unseen halves are measured by."""
    out = [f"{'':28} {'scam':>6} {'flagged':>8} {'ham':>6} {'flagged':>8}"]

    def row(name: str, t: Any) -> str:
        return (f"{name[:28]:28} {t.scam:6d} {_pct(t.recall):>8} {t.ham:6d} "
                f"{_pct(t.fp_rate):>8}")

    out.append(row("all", report.total))
    out += [row(f"lang {k}", v) for k, v in sorted(report.by_lang.items())]
    out += [row(f"file {k}", v) for k, v in sorted(report.by_file.items())]
    out += [row(f"category {k}", v) for k, v in sorted(report.by_category.items()) if v.scam]
    out += [row(f"kind {k}", v) for k, v in sorted(report.by_kind.items())]
    if report.follow_ups.scam or report.follow_ups.ham:
        out.append(row("follow-ups", report.follow_ups))
    out += [row(k, v) for k, v in sorted(report.by_lang_category.items())]
    return "\n".join(out)


def cmd_bench(args: argparse.Namespace) -> int:
    from bot.core.bench import run_bench

    result = run_bench(args.rules or RULES_DIR, messages=args.messages, scale=args.scale)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for name, row in result["runs"].items():
            print(f"{name:10} rules={row['pattern_rules']:6d} phrases={row['phrases']:7d} "
                  f"blocklist={row['blocklist']:7d} samples={row['samples']:5d}  "
                  f"{row['messages_per_second']:9.0f} msg/s  p50 {row['p50_ms']:.3f} ms  "
                  f"p99 {row['p99_ms']:.3f} ms  "
                  f"({row['messages_per_cpu_second']:.0f} msg per CPU second)")
        worst = result["worst_case"]
        print(f"worst case ({worst['messages']} keyword-salad messages of {worst['length']} "
              f"characters): p50 {worst['p50_ms']:.2f} ms  p99 {worst['p99_ms']:.2f} ms  "
              f"max {worst['max_ms']:.2f} ms (bound {worst['bound_ms']:g} ms); CPU time "
              f"p50 {worst['cpu_p50_ms']:.2f} ms  max {worst['cpu_max_ms']:.2f} ms; "
              f"best of {worst['repeats']} per message: p99 {worst['best_p99_ms']:.2f} ms  "
              f"max {worst['best_max_ms']:.2f} ms "
              f"({'within' if worst['within_bound'] else 'NOT within'} the bound)")
        if "slowdown" in result:
            print(f"cost of {args.scale}x rules and list entries: "
                  f"{result['slowdown']:.2f}x the time per message")
    return EXIT_OK
