"""The immutable RuleSet: every rule file of one rules directory, loaded at once.

`load_ruleset` either returns a complete new set or raises RuleSetError listing every problem
as `path:line: message`; callers keep their previous set in that case.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from bot.core.links import LinkData, load_link_data
from bot.core.patterns import PatternRules, load_pattern_rules
from bot.core.similarity import SampleIndex, load_samples
from bot.errors import RuleFileError, RuleSetError


@dataclass(frozen=True)
class RuleSet:
    source: Path
    digest: str
    patterns: PatternRules
    links: LinkData
    samples: SampleIndex


def rules_digest(directory: Path) -> str:
    """A fingerprint of every file under the directory (names, sizes, mtimes)."""
    h = hashlib.sha256()
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        if "__pycache__" in path.parts:
            continue
        st = path.stat()
        h.update(f"{path.relative_to(directory)}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:16]


def load_ruleset(directory: Path | str, lists_dir: Path | None = None) -> RuleSet:
    """Load a rules folder; list files in `lists_dir` (when given) replace the bundled ones
    of the same name."""
    directory = Path(directory)
    if not directory.is_dir():
        raise RuleSetError([RuleFileError(str(directory), 0, "rules directory not found")])
    errors: list[RuleFileError] = []
    parts: dict[str, object] = {}
    def load_links(folder: Path) -> object:
        return load_link_data(folder, lists_dir)

    for name, loader in (
        ("patterns", load_pattern_rules),
        ("links", load_links),
        ("samples", load_samples),
    ):
        try:
            parts[name] = loader(directory)
        except RuleSetError as exc:
            errors.extend(exc.errors)
        except RuleFileError as exc:
            errors.append(exc)
    if errors:
        raise RuleSetError(errors)
    return RuleSet(
        source=directory,
        digest=rules_digest(directory)
        if lists_dir is None or not lists_dir.is_dir()
        else rules_digest(directory)[:8] + rules_digest(lists_dir)[:8],
        patterns=parts["patterns"],  # type: ignore[arg-type]
        links=parts["links"],  # type: ignore[arg-type]
        samples=parts["samples"],  # type: ignore[arg-type]
    )
