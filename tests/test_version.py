"""One source for the version: bot.__version__, read by the package metadata, the CLI and
the changelog's newest entry."""

from __future__ import annotations

import importlib.metadata
import re
import tomllib
from pathlib import Path

from bot import __version__
from bot.cli import main

ROOT = Path(__file__).resolve().parents[1]


def test_package_metadata_reads_the_version_from_the_package():
    """pyproject.toml writes no version of its own; the installed metadata matches."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    assert "version" not in project and "version" in project["dynamic"]
    assert importlib.metadata.version("scamguard") == __version__


def test_cli_prints_the_version(capsys):
    try:
        main(["--version"])
    except SystemExit as exc:
        assert exc.code == 0
    assert capsys.readouterr().out.strip() == f"scamguard {__version__}"


def test_changelog_newest_entry_is_the_version():
    """CHANGELOG.md's first release heading is the package's version."""
    text = (ROOT / "CHANGELOG.md").read_text("utf-8")
    versions = re.findall(r"^## \[(\d+\.\d+\.\d+)\]", text, flags=re.M)
    assert versions and versions[0] == __version__
    assert len(versions) == len(set(versions))
