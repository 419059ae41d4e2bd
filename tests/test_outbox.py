"""The outbox's JSON form of a group warning: every field comes back as it went in, for each
kind of sender, so the one sender posts what the worker that queued it meant."""

from __future__ import annotations

import json

import pytest

from bot.core.model import ForwardOrigin, Hit, Person, Severity, Verdict
from handlers.group import Warning
from handlers.outbox import warning_from_dict, warning_to_dict

SEED = Hit("key-request.seed-phrase", "key_request", Severity.CRITICAL,
           "asks for a wallet recovery phrase")
LINK = Hit("links.lookalike", "lookalike_link", Severity.HIGH, "links to a look-alike domain")


@pytest.mark.parametrize(
    "warning",
    [
        Warning(-100, Verdict("scam", 0.973215, (SEED, LINK)), Person("Eve <b>", "eve", 42),
                "restrict", hours=24, reply_to=None, incident_id=7,
                missing=("can_restrict_members",), impersonator="Alice Admin"),
        Warning(-100, Verdict("suspicious", 0.41, (LINK,)),
                ForwardOrigin("channel", "Binance Support", "bnb_help", -1009),
                "warn", reply_to=55, incident_id=8),
        Warning(-100, Verdict("scam", 0.9, (SEED,)), Person("Bob", "", 7), "delete",
                incident_id=9, leak=True),
        Warning(-100, Verdict("suspicious", 0.5, ()), None, "none", joined=True),
    ],
    ids=["person-restricted", "forwarded-channel", "leak", "joined-no-sender"],
)
def test_warning_survives_the_outbox(warning: Warning) -> None:
    """to_dict -> JSON text -> from_dict gives an equal warning."""
    stored = json.loads(json.dumps(warning_to_dict(warning)))
    assert warning_from_dict(stored) == warning
