"""Exceptions shared across the application."""

from __future__ import annotations

from collections.abc import Iterable


class ScamguardError(Exception):
    """Base class of the project's own errors."""


class RuleFileError(ScamguardError):
    """A problem in one rule file, located as `path:line: message`."""

    def __init__(self, path: str, line: int | None, message: str) -> None:
        self.path = str(path)
        self.line = line
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"{self.path}:{self.line or 0}: {self.message}"


class RuleSetError(ScamguardError):
    """A rule set could not be loaded; carries every problem found, not just the first."""

    def __init__(self, errors: Iterable[RuleFileError]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(str(e) for e in self.errors) or "rule set could not be loaded")


class SettingsError(ScamguardError):
    """The environment does not describe a usable configuration."""


class StorageError(ScamguardError):
    """The database cannot be used (locked, read-only, corrupted); the message says which."""
