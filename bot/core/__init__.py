"""The detection core: pure Python, no Telegram, no I/O on the per-message path.

`load_ruleset(dir)` reads the rule files into an immutable `RuleSet`; `Detector(ruleset)`
turns a `CheckRequest` into a `Verdict`.
"""

from bot.core.detector import Detector, Message
from bot.core.model import (
    Anchor,
    ChatContext,
    ChatInfo,
    CheckRequest,
    ForwardOrigin,
    Hit,
    Person,
    RequestError,
    Severity,
    Verdict,
)
from bot.core.ruleset import RuleSet, load_ruleset

__all__ = [
    "Anchor",
    "ChatContext",
    "ChatInfo",
    "CheckRequest",
    "Detector",
    "ForwardOrigin",
    "Hit",
    "Message",
    "Person",
    "RequestError",
    "RuleSet",
    "Severity",
    "Verdict",
    "load_ruleset",
]
