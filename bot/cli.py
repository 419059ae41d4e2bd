"""The `scamguard` command line. Each command group lives in its own module that exposes
`register(subparsers)`; this module only assembles them and turns errors into exit codes."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from bot import __version__
from bot.errors import ScamguardError

# Modules that add sub-commands; each defines register(subparsers) and sets `func` on its
# parsers: func(args) -> int (the exit status).
COMMAND_MODULES = (
    "bot.commands.core",  # check, scan, rules lint|test, bench
    "bot.commands.lists",  # lists update
    "bot.commands.storage",  # incidents, stats, export
    "bot.commands.run",  # run
    "bot.commands.model",  # model train
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scamguard",
        description="Detects scam messages and runs the scamguard Telegram bot.",
    )
    parser.add_argument("--version", action="version", version=f"scamguard {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        return int(func(args) or 0)
    except ScamguardError as exc:
        print(f"scamguard: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
