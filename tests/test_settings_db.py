"""SCAMGUARD_DB names a SQLite file (a path or sqlite:/// URL) or a PostgreSQL server."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import SettingsError
from bot.settings import Settings


@pytest.mark.parametrize(
    ("value", "path", "url"),
    [
        (None, Path("scamguard.db"), None),
        ("/data/x.db", Path("/data/x.db"), None),
        ("sqlite:///rel/x.db", Path("rel/x.db"), None),
        ("sqlite:////data/x.db", Path("/data/x.db"), None),
        ("postgresql://bot:pw@db:5432/scamguard", Path("scamguard.db"),
         "postgresql://bot:pw@db:5432/scamguard"),
        ("postgres://db/scamguard", Path("scamguard.db"), "postgres://db/scamguard"),
    ],
    ids=["default", "path", "sqlite-relative", "sqlite-absolute", "postgresql", "postgres"],
)
def test_database_target(value: str | None, path: Path, url: str | None) -> None:
    """Each form opens the backend it names; `database` is what open_storage takes."""
    env = {} if value is None else {"SCAMGUARD_DB": value}
    settings = Settings.from_env(env)
    assert (settings.db_path, settings.db_url) == (path, url)
    assert settings.database == (url or path)


@pytest.mark.parametrize("value", ["mysql://db/x", "sqlite://", "postgresql://"],
                         ids=["other-engine", "sqlite-without-path", "postgresql-empty"])
def test_unusable_database_target_is_refused(value: str) -> None:
    """Another engine or an empty URL stops the start with a message naming SCAMGUARD_DB."""
    with pytest.raises(SettingsError, match="SCAMGUARD_DB"):
        Settings.from_env({"SCAMGUARD_DB": value})


def test_password_is_not_in_the_settings_repr() -> None:
    """The PostgreSQL URL (with its password) is kept out of the settings' repr (logs)."""
    settings = Settings.from_env({"SCAMGUARD_DB": "postgresql://bot:hunter2@db/scamguard"})
    assert "hunter2" not in repr(settings)
