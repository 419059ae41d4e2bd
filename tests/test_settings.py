"""Settings from the environment: secrets from files, the data directory, the lists job."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import SettingsError
from bot.settings import Settings

TOKEN = "123456:" + "A" * 35


@pytest.mark.parametrize(
    ("name", "attribute"),
    [("SCAMGUARD_TOKEN", "token"), ("SCAMGUARD_HTTP_TOKEN", "http_token"),
     ("SCAMGUARD_WEBHOOK_SECRET", "webhook_secret")],
)
def test_secret_is_read_from_its_file(tmp_path: Path, name: str, attribute: str):
    """NAME_FILE names a file whose first line is the secret (trailing newline ignored)."""
    path = tmp_path / "secret"
    path.write_text("s3cret_value-1\n", encoding="utf-8")
    env = {f"{name}_FILE": str(path)}
    if name == "SCAMGUARD_WEBHOOK_SECRET":
        env |= {"SCAMGUARD_MODE": "webhook", "SCAMGUARD_WEBHOOK_URL": "https://b.example/t",
                "SCAMGUARD_HTTP": "127.0.0.1:8080"}
    assert getattr(Settings.from_env(env), attribute) == "s3cret_value-1"


def test_secret_and_its_file_together_are_refused(tmp_path: Path):
    """Setting both the variable and its _FILE is ambiguous: a clear error."""
    path = tmp_path / "token"
    path.write_text(TOKEN, encoding="utf-8")
    with pytest.raises(SettingsError, match="SCAMGUARD_TOKEN or SCAMGUARD_TOKEN_FILE"):
        Settings.from_env({"SCAMGUARD_TOKEN": TOKEN, "SCAMGUARD_TOKEN_FILE": str(path)})


@pytest.mark.parametrize("content", [None, ""], ids=["missing", "empty"])
def test_unreadable_or_empty_secret_file_names_the_variable(tmp_path: Path, content):
    """A secret file that is missing or empty fails fast, naming the variable, never the
    content."""
    path = tmp_path / "token"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(SettingsError, match="SCAMGUARD_TOKEN_FILE"):
        Settings.from_env({"SCAMGUARD_TOKEN_FILE": str(path)})


def test_data_directory_defaults_to_the_database_folder(tmp_path: Path):
    """Refreshed lists go to <data>/lists: SCAMGUARD_DATA_DIR, else the database's folder."""
    settings = Settings.from_env({"SCAMGUARD_DB": str(tmp_path / "db" / "s.db")})
    assert settings.lists_dir == tmp_path / "db" / "lists"
    assert settings.lists_update_hours == 24.0
    other = Settings.from_env({"SCAMGUARD_DATA_DIR": str(tmp_path / "d"),
                               "SCAMGUARD_LISTS_UPDATE_HOURS": "0"})
    assert other.lists_dir == tmp_path / "d" / "lists"
    assert other.lists_update_hours == 0.0


def test_bad_lists_interval_is_refused():
    """A negative or non-numeric interval names the variable."""
    with pytest.raises(SettingsError, match="SCAMGUARD_LISTS_UPDATE_HOURS"):
        Settings.from_env({"SCAMGUARD_LISTS_UPDATE_HOURS": "-1"})
