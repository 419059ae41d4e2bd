"""The immutable RuleSet: every rule file of one rules directory, loaded at once.

`load_ruleset` either returns a complete new set or raises RuleSetError listing every problem
as `path:line: message`; callers keep their previous set in that case.
"""

from __future__ import annotations

import gc
import hashlib
from dataclasses import dataclass
from pathlib import Path

from bot.core.combine import COMBINER_FILE, Combiner, load_combiner
from bot.core.links import LinkData, load_link_data
from bot.core.patterns import PatternRules, load_pattern_rules
from bot.core.similarity import SampleIndex, load_samples
from bot.core.textmodel import (
    MODEL_DIR,
    WEIGHTS_FILE,
    TextModel,
    file_digest,
    load_text_model_file,
)
from bot.errors import RuleFileError, RuleSetError


@dataclass(frozen=True)
class RuleSet:
    source: Path
    digest: str
    patterns: PatternRules
    links: LinkData
    samples: SampleIndex
    model: TextModel | None = None
    combiner: Combiner | None = None
    # Problems that leave the set usable (a broken model file: the rules work alone).
    warnings: tuple[RuleFileError, ...] = ()


def rules_digest(directory: Path) -> str:
    """A fingerprint of every file under the directory (names, sizes, mtimes)."""
    h = hashlib.sha256()
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        if "__pycache__" in path.parts:
            continue
        st = path.stat()
        h.update(f"{path.relative_to(directory)}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:16]


def settle_heap() -> None:
    """Exempt what is alive now (a freshly loaded rule set: hundreds of thousands of
    immutable objects) from the cyclic collector's full scans. Every message leaves short-lived
    objects behind; each full collection they trigger used to walk the whole rule set again,
    adding several milliseconds to whichever message was being checked. Objects frozen by an
    earlier call are released first and collected if they are garbage (a replaced rule set),
    so a reload leaks nothing."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def load_ruleset(directory: Path | str, lists_dir: Path | None = None,
                 model_dir: Path | None = None) -> RuleSet:
    """Load a rules folder; list files in `lists_dir` (when given) replace the bundled ones
    of the same name, and a model in `model_dir` (a refitted one, see `model_folder`)
    replaces the shipped one."""
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
    folder = model_folder(directory, model_dir)
    model, combiner, warnings = load_learned_folder(folder)
    digest = rules_digest(directory)
    if lists_dir is not None and lists_dir.is_dir():
        digest = digest[:8] + rules_digest(lists_dir)[:8]
    if folder != directory / MODEL_DIR:
        digest = digest[:8] + rules_digest(folder)[:8]
    return RuleSet(
        source=directory,
        digest=digest,
        patterns=parts["patterns"],  # type: ignore[arg-type]
        links=parts["links"],  # type: ignore[arg-type]
        samples=parts["samples"],  # type: ignore[arg-type]
        model=model,
        combiner=combiner,
        warnings=warnings,
    )


# The card key of a refitted model that names the shipped model it was refitted beside.
BASE_MODEL_KEY = "base_model"


def shipped_model_digest(directory: Path) -> str | None:
    """The digest of the rules directory's own text-model.npz; None when it ships none."""
    path = directory / MODEL_DIR / WEIGHTS_FILE
    try:
        return file_digest(path) if path.is_file() else None
    except OSError:
        return None


def model_folder(directory: Path, model_dir: Path | None) -> Path:
    """Where the learned layer is read from: `model_dir` when it holds a model refitted beside
    the rules directory's shipped model (its card names that model's digest), else the rules
    directory's own `model/`. A refitted model whose shipped model was since replaced (an
    upgrade) gives way to the new shipped one until the next refit."""
    shipped = directory / MODEL_DIR
    if model_dir is None or not (model_dir / WEIGHTS_FILE).is_file():
        return shipped
    try:
        combiner = load_combiner(model_dir / COMBINER_FILE)
    except RuleFileError:
        return model_dir  # reported by load_learned_folder
    base = combiner.card.get(BASE_MODEL_KEY) if combiner is not None else None
    if base is not None and base != (shipped_model_digest(directory) or ""):
        return shipped
    return model_dir


def load_learned(
    directory: Path,
) -> tuple[TextModel | None, Combiner | None, tuple[RuleFileError, ...]]:
    """The learned layer of a rules directory (see `load_learned_folder`)."""
    return load_learned_folder(directory / MODEL_DIR)


def load_learned_folder(
    folder: Path,
) -> tuple[TextModel | None, Combiner | None, tuple[RuleFileError, ...]]:
    """The learned layer in a model folder. Missing files mean rules alone; a broken file
    is reported and the rules work alone (the model and its combiner go together)."""
    try:
        model = load_text_model_file(folder / WEIGHTS_FILE)
        combiner = load_combiner(folder / COMBINER_FILE)
    except RuleFileError as exc:
        return None, None, (exc,)
    if model is None and combiner is None:
        return None, None, ()
    if model is None or combiner is None:
        missing = WEIGHTS_FILE if model is None else COMBINER_FILE
        return None, None, (RuleFileError(str(folder / missing), 0,
                                          "missing: the model and its combiner go together"),)
    trained_on = combiner.card.get("model_digest")
    if trained_on and trained_on != model.digest:
        return None, None, (RuleFileError(str(folder / COMBINER_FILE), 0,
                                          "was fitted for another text-model.npz: retrain "
                                          "with `scamguard model train`"),)
    return model, combiner, ()
