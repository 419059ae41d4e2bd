"""The learned combination of evidence into a score, the way SpamAssassin fits rule scores.

    z = bias + sum over rule hits of decay^k * (prior[severity] + delta[rule])
             + model * logit(text model) + scope weights (alone and times the model's push)

where k counts the hits of the same category before this one (strongest first): overlapping
rules of one family (seven drainer rules meeting one retold story) are one piece of evidence
seen several times, not seven independent ones, so each further hit of a category counts for
less (STACK_DECAY).
    score = 1 / (1 + exp(-z))

Every weight is fitted on the training lines (`scamguard model train`); a rule that is not in
the fitted table (a moderator's new rule) counts with its severity's prior, so it works before
any refit. Thresholds per sensitivity were chosen on held-out scores (every line scored by a
combination fitted on the other folds) for a stated budget of false positives and are stored
with the weights (rules/model/combiner.json).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.core.model import Hit
from bot.core.scope import Scope
from bot.errors import RuleFileError

COMBINER_FILE = "combiner.json"
# The version of the combination's form: 2 weighs a category's further hits by STACK_DECAY.
FORMAT = 2
STACK_DECAY = 0.5
SEVERITIES = ("low", "medium", "high", "critical")
SCOPE_SIGNALS = ("advice", "advice_first", "discussion", "negation", "question", "quoted",
                 "offer")
# Names of the numbered features, in the order of `features()`.
FEATURES = (
    "bias",
    *(f"severity.{s}" for s in SEVERITIES),
    "model",
    *(f"scope.{s}" for s in SCOPE_SIGNALS),
    *(f"push.{s}" for s in SCOPE_SIGNALS),
    "outside",
)
MODEL_CLIP = 10.0


def weighed(hits: Iterable[Hit]) -> list[tuple[Hit, float]]:
    """The rule hits (the learned layer's own excluded), each with the weight it counts
    with: 1 for the strongest of its category, STACK_DECAY times less for each further one."""
    seen: dict[str, int] = {}
    out: list[tuple[Hit, float]] = []
    for hit in sorted((h for h in hits if not h.rule.startswith("model.")),
                      key=lambda h: (-h.severity, h.rule)):
        k = seen.get(hit.category, 0)
        seen[hit.category] = k + 1
        out.append((hit, STACK_DECAY ** k))
    return out


def hit_counts(hits: Iterable[Hit]) -> list[float]:
    """Rule hits per severity, each counted with its weight (see `weighed`)."""
    counts = [0.0] * len(SEVERITIES)
    for hit, weight in weighed(hits):
        counts[int(hit.severity) - 1] += weight
    return counts


def features(hits: Sequence[Hit], model_logit: float, outside_logit: float | None,
             scope: Scope) -> list[float]:
    """The numbered features of one message (see FEATURES)."""
    z = max(-MODEL_CLIP, min(MODEL_CLIP, model_logit))
    push = max(z, 0.0)
    signals = [
        float(scope.advice), float(scope.advice_first), float(scope.discussion),
        float(scope.negation), float(scope.question), float(scope.quoted > 0),
        float(scope.offer),
    ]
    outside = 0.0
    if outside_logit is not None:
        outside = max(-MODEL_CLIP, min(MODEL_CLIP, outside_logit)) - z
    return [1.0, *hit_counts(hits), z, *signals, *(push * s for s in signals), outside]


@dataclass(frozen=True)
class Combiner:
    """Fitted weights, per-rule adjustments and thresholds per sensitivity."""

    weights: dict[str, float]
    rules: dict[str, float] = field(default_factory=dict)
    thresholds: dict[str, tuple[float, float]] = field(default_factory=dict)
    card: dict[str, Any] = field(default_factory=dict)

    def z(self, hits: Sequence[Hit], model_logit: float, outside_logit: float | None,
          scope: Scope) -> float:
        x = features(hits, model_logit, outside_logit, scope)
        total = sum(self.weights.get(name, 0.0) * v for name, v in zip(FEATURES, x, strict=True))
        for hit, weight in weighed(hits):
            total += weight * self.rules.get(hit.rule, 0.0)
        return total

    def score(self, hits: Sequence[Hit], model_logit: float, outside_logit: float | None,
              scope: Scope) -> float:
        z = self.z(hits, model_logit, outside_logit, scope)
        if z >= 0:
            return 1.0 / (1.0 + math.exp(-min(z, 60.0)))
        e = math.exp(max(z, -60.0))
        return e / (1.0 + e)

    def to_json(self) -> str:
        return json.dumps({
            "format": FORMAT,
            "features": list(FEATURES),
            "weights": {k: round(v, 6) for k, v in self.weights.items()},
            "rules": {k: round(v, 6) for k, v in sorted(self.rules.items())},
            "thresholds": {k: [round(v[0], 6), round(v[1], 6)]
                           for k, v in sorted(self.thresholds.items())},
            "card": self.card,
        }, ensure_ascii=False, indent=1, sort_keys=False) + "\n"


def parse_combiner(text: str, source: str) -> Combiner:
    try:
        data = json.loads(text)
        if data.get("format") != FORMAT:
            raise ValueError(f"format {data.get('format')!r} is not {FORMAT}: retrain with "
                             "`scamguard model train`")
        if list(data["features"]) != list(FEATURES):
            raise ValueError("features differ from this version's: retrain with "
                             "`scamguard model train`")
        weights = {str(k): float(v) for k, v in data["weights"].items()}
        rules = {str(k): float(v) for k, v in data.get("rules", {}).items()}
        thresholds: dict[str, tuple[float, float]] = {}
        for name, pair in data["thresholds"].items():
            low, high = (float(pair[0]), float(pair[1]))
            if not 0.0 < low <= high < 1.0:
                raise ValueError(f"thresholds of {name!r} must be 0 < suspicious <= scam < 1")
            thresholds[str(name)] = (low, high)
        for needed in ("low", "normal", "high"):
            if needed not in thresholds:
                raise ValueError(f"no thresholds for sensitivity {needed!r}")
        values = [*weights.values(), *rules.values()]
        if not all(math.isfinite(v) for v in values):
            raise ValueError("weights must be finite numbers")
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        raise RuleFileError(source, 0, f"combiner weights: {exc}") from exc
    return Combiner(weights, rules, thresholds, dict(data.get("card") or {}))


def load_combiner(path: Path) -> Combiner | None:
    if not path.exists():
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleFileError(str(path), 0, f"cannot be read: {exc}") from exc
    return parse_combiner(text, str(path))
