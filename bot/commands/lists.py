"""`scamguard lists update` (refresh the domain lists) and `scamguard links eval` (the link
detection targets on the labelled link data)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.core.links import LinkData, extract_links, load_link_data
from bot.errors import ScamguardError
from bot.lists import update_lists
from bot.settings import Settings

# The files `links eval` reads from its --data folder (the labelled sets of the source tree's
# tests/data/links, which an installed package does not carry).
DATA_FILES = (
    "typosquats_dnstwist_dev.tsv",
    "real_punycode_phish_dev.tsv",
    "legit_near_misses_dev.tsv",
    "metamask_must_not_flag_sites.json",
    "vectors_homoglyph_idn.json",
)
SHORTENER_RULE = "link.shortener"


def register(sub: Any) -> None:
    p = sub.add_parser("lists", help="domain lists: blocklist and URL shorteners")
    lists_sub = p.add_subparsers(dest="lists_command", metavar="ACTION", required=True)
    u = lists_sub.add_parser("update", help="download, validate and swap the configured lists")
    u.add_argument(
        "--rules", type=Path, default=None, help="rules directory (default SCAMGUARD_RULES)"
    )
    u.add_argument("--timeout", type=float, default=60.0, help="seconds per download (default 60)")
    u.add_argument(
        "--into", type=Path, default=None, metavar="DIR",
        help="folder for the refreshed lists (default <data directory>/lists; the bot loads "
        "them in place of the bundled files)",
    )
    u.set_defaults(func=cmd_update)

    p = sub.add_parser("links", help="link intelligence tools")
    links_sub = p.add_subparsers(dest="links_command", metavar="ACTION", required=True)
    e = links_sub.add_parser("eval", help="detection rates on the labelled link data")
    e.add_argument("--rules", type=Path, default=None, help="rules directory")
    e.add_argument(
        "--data",
        type=Path,
        required=True,
        metavar="DIR",
        help="folder of the labelled link data files (tests/data/links in the source tree)",
    )
    e.add_argument("--json", action="store_true", help="print a JSON object")
    e.add_argument(
        "--show",
        type=int,
        default=0,
        metavar="N",
        help="also list up to N wrong answers per data set",
    )
    e.set_defaults(func=cmd_eval)


def _rules_dir(arg: Path | None) -> Path:
    if arg is not None:
        return arg
    return Settings.from_env(os.environ).rules_dir


def cmd_update(args: argparse.Namespace) -> int:
    rules = _rules_dir(args.rules)
    into = args.into or Settings.from_env(os.environ).lists_dir
    results = asyncio.run(update_lists(rules, seconds=args.timeout, into=into))
    failed = 0
    for result in results:
        if result.ok:
            print(f"{result.source.file}: updated, {result.entries} entries")
        else:
            failed += 1
            print(f"{result.source.file}: kept the old list: {result.error}", file=sys.stderr)
    return 1 if failed else 0


# --- evaluation ---------------------------------------------------------------------------


@dataclass
class SetResult:
    """One labelled set: how many hosts, how many were flagged, and the wrong answers."""

    name: str
    want_flagged: bool
    total: int = 0
    flagged: int = 0
    wrong: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.flagged / self.total if self.total else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "set": self.name,
            "total": self.total,
            "flagged": self.flagged,
            "rate": round(self.rate, 4),
            "want": "flagged" if self.want_flagged else "clean",
        }


def flags(data: LinkData, text: str, urls: tuple[str, ...] = ()) -> list[str]:
    """Rule ids the link check raises for a text (and hidden URLs), shorteners left out."""
    out: list[str] = []
    for link in extract_links(text, urls):
        out.extend(h.rule for h in data.check_link(link) if h.rule != SHORTENER_RULE)
    return out


def _run(data: LinkData, name: str, hosts: list[str], want: bool) -> SetResult:
    result = SetResult(name, want)
    for host in hosts:
        hit = bool(flags(data, "", (f"http://{host}/",)))
        result.total += 1
        result.flagged += hit
        if hit != want:
            result.wrong.append(host)
    return result


def evaluate(data: LinkData, data_dir: Path) -> list[SetResult]:
    """Every target set of the link data against one LinkData."""

    def tsv(name: str) -> list[str]:
        path = data_dir / name
        return [
            ln.split("\t")[0 if "punycode" in name or "near" in name else 2]
            for ln in path.read_text(encoding="utf-8").splitlines()
            if ln.strip()
        ]

    results = [
        _run(data, "typosquats_dnstwist_dev", tsv("typosquats_dnstwist_dev.tsv"), True),
        _run(data, "real_punycode_phish_dev", tsv("real_punycode_phish_dev.tsv"), True),
        _run(data, "legit_near_misses_dev", tsv("legit_near_misses_dev.tsv"), False),
    ]
    sites = json.loads((data_dir / "metamask_must_not_flag_sites.json").read_text("utf-8"))
    results.append(
        _run(data, "metamask_must_not_flag", sites["alexa_top"] + sites["dapps"], False)
    )
    official = [d for b in data.brands for d in b.domains]
    results.append(_run(data, "official_domains", official, False))
    results.append(
        _run(
            data,
            "official_subdomains",
            [f"{p}.{d}" for d in official for p in ("www", "login", "app")],
            False,
        )
    )
    # homoglyph vectors: typed into a message; a case that normalises to the brand's own domain
    # is the brand itself (fullwidth letters, U+3002) and must not be flagged
    cases = json.loads((data_dir / "vectors_homoglyph_idn.json").read_text("utf-8"))
    imitations = SetResult("homoglyph_imitations", True)
    same = SetResult("homoglyph_same_domain", False)
    for case in cases:
        links = extract_links(f"open {case['display']} now")
        is_brand = bool(links) and links[0].host == case["target"]
        target = same if is_brand else imitations
        hit = bool(flags(data, f"open {case['display']} now"))
        target.total += 1
        target.flagged += hit
        if hit != target.want_flagged:
            target.wrong.append(case["display"])
    results += [imitations, same]
    return results


TARGETS = {
    "typosquats_dnstwist_dev": (">=", 0.95),
    "real_punycode_phish_dev": (">=", 0.95),
    "homoglyph_imitations": (">=", 1.0),
    "homoglyph_same_domain": ("<=", 0.0),
    "legit_near_misses_dev": ("<=", 0.01),
    "metamask_must_not_flag": ("<=", 0.0),
    "official_domains": ("<=", 0.0),
    "official_subdomains": ("<=", 0.0),
}


def meets(result: SetResult) -> bool:
    op, bound = TARGETS[result.name]
    return result.rate >= bound if op == ">=" else result.rate <= bound


def cmd_eval(args: argparse.Namespace) -> int:
    rules = _rules_dir(args.rules)
    data_dir: Path = args.data
    missing = [name for name in DATA_FILES if not (data_dir / name).is_file()]
    if missing:
        raise ScamguardError(f"{data_dir}: missing link data file(s): {', '.join(missing)}")
    t0 = time.perf_counter()
    data = load_link_data(rules)
    load_s = time.perf_counter() - t0
    results = evaluate(data, data_dir)
    ok = all(meets(r) for r in results)
    if args.json:
        print(
            json.dumps(
                {
                    "results": [
                        r.to_dict()
                        | {"target": " ".join(map(str, TARGETS[r.name])), "meets": meets(r)}
                        for r in results
                    ],
                    "blocklist": len(data.deny),
                    "brands": len(data.brands),
                    "load_seconds": round(load_s, 3),
                },
                indent=1,
            )
        )
    else:
        print(
            f"{len(data.brands)} brands, {len(data.deny)} blocklisted domains, "
            f"loaded in {load_s:.2f} s\n"
        )
        print("| set | hosts | flagged | target | met |")
        print("|---|---:|---:|---|---|")
        for r in results:
            op, bound = TARGETS[r.name]
            print(
                f"| {r.name} | {r.total} | {r.flagged} ({100 * r.rate:.1f}%) | "
                f"{'≥' if op == '>=' else '≤'} {100 * bound:g}% flagged | "
                f"{'yes' if meets(r) else 'NO'} |"
            )
            if args.show and r.wrong:
                print(f"|   wrong: {', '.join(r.wrong[: args.show])} | | | | |")
    return 0 if ok else 1
