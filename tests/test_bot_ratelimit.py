"""Per-key sliding-window rate limits."""

from __future__ import annotations

import pytest

from bot.ratelimit import RateLimits, SlidingWindow


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_window_allows_limit_then_refuses_until_period_passes():
    """Three events a minute: the fourth is refused, allowed again a minute later."""
    clock = Clock()
    window = SlidingWindow(3, 60.0, clock)
    assert [window.allow("u") for _ in range(4)] == [True, True, True, False]
    assert window.retry_in("u") == pytest.approx(60.0)
    clock.now += 60.0
    assert window.allow("u")


def test_keys_are_independent():
    """One user's burst does not limit another user."""
    window = SlidingWindow(1, 60.0, Clock())
    assert window.allow(1) and not window.allow(1)
    assert window.allow(2)


def test_idle_keys_are_pruned_when_full():
    """Keys idle for a whole period are dropped when the table is full."""
    clock = Clock()
    window = SlidingWindow(1, 10.0, clock, max_keys=2)
    window.allow("a")
    window.allow("b")
    clock.now += 11
    window.allow("c")
    assert set(window._events) == {"c"}


@pytest.mark.parametrize(
    ("kind", "allowed"), [("report", 3), ("check", 20), ("unknown", 10)],
    ids=["report", "check", "default"],
)
def test_named_limits(kind, allowed):
    """Each kind has its own limit; unknown kinds fall back to the command limit."""
    limits = RateLimits(clock=Clock())
    results = [limits.allow(kind, 7) for _ in range(allowed + 1)]
    assert results == [True] * allowed + [False]


def test_invalid_window_is_refused():
    """A window with no capacity is a programming error."""
    with pytest.raises(ValueError):
        SlidingWindow(0, 60.0)
