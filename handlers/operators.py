"""Placeholder: handlers for this concern are being written."""

from __future__ import annotations

from typing import Any


def register(application: Any) -> None:
    """Add this module's handlers to the application."""
