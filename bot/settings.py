"""The one typed settings object, built from the environment at start.

Nothing else in the project reads `os.environ`. A bad value fails fast with a message that
names the variable.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.errors import SettingsError
from rules import RULES_DIR

DEFAULT_API_URL = "https://api.telegram.org/bot"
_TOKEN_RE = re.compile(r"^\d{3,20}:[A-Za-z0-9_-]{30,64}$")
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# The project's own train split, beside the package in a source checkout (the default corpus
# of the periodic refit; an installed package carries none).
SOURCE_CORPUS = Path(__file__).resolve().parents[1] / "tests" / "corpus" / "train"


@dataclass(frozen=True, slots=True)
class HttpAddress:
    host: str
    port: int

    @property
    def is_loopback(self) -> bool:
        if self.host in ("localhost", ""):
            return self.host == "localhost"
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class Settings:
    """Every knob of a running scamguard. See README, "Settings"."""

    token: str | None = field(default=None, repr=False)
    api_url: str = DEFAULT_API_URL
    db_path: Path = Path("scamguard.db")
    # A PostgreSQL server instead of the SQLite file (SCAMGUARD_DB=postgresql://...).
    db_url: str | None = field(default=None, repr=False)
    rules_dir: Path = RULES_DIR
    mode: str = "polling"
    webhook_url: str | None = None
    webhook_secret: str | None = field(default=None, repr=False)
    http: HttpAddress | None = None
    http_token: str | None = field(default=None, repr=False)
    operators: frozenset[int] = frozenset()
    log_level: str = "INFO"
    log_json: bool = False
    retention_days: int = 90
    expand_links: bool = False
    link_timeout: float = 3.0
    rules_watch_seconds: float = 3.0
    data_dir: Path | None = None
    lists_update_hours: float = 24.0
    # How long after a sender's flagged message (in the same group, or the same origin of
    # the forwards a user sends) their next ones are read as follow-ups (off at 0).
    follow_up_hours: float = 24.0
    # The periodic refit of the learned layer (off at 0): hours between refits, the seconds
    # one may take, its train split and (optionally) the real corpora, as `model train` reads.
    refit_hours: float = 0.0
    refit_timeout: float = 3600.0
    refit_corpus: Path | None = field(
        default_factory=lambda: SOURCE_CORPUS if SOURCE_CORPUS.is_dir() else None)
    refit_dev: Path | None = None
    # Labelled corpora the web console measures rules on: train/*.jsonl (lines shown) and
    # blind/*.jsonl (rates only). Default: the source tree's tests/corpus when present.
    corpus_dir: Path | None = None

    @property
    def data_directory(self) -> Path:
        """Where the bot keeps what it writes besides the database: SCAMGUARD_DATA_DIR, else
        the database's folder."""
        return self.data_dir if self.data_dir is not None else self.db_path.parent

    @property
    def lists_dir(self) -> Path:
        """Refreshed domain lists (they replace the bundled files of the same name)."""
        return self.data_directory / "lists"

    @property
    def model_dir(self) -> Path:
        """A refitted model (it replaces the shipped one, see Training the model)."""
        return self.data_directory / "model"

    @property
    def database(self) -> str | Path:
        """What `open_storage()` takes: the PostgreSQL URL, else the SQLite file."""
        return self.db_url or self.db_path

    def require_token(self) -> str:
        """The bot token, or a SettingsError that says how to provide a valid one."""
        if not self.token:
            raise SettingsError(
                "SCAMGUARD_TOKEN is not set: get a token from @BotFather and export it"
            )
        if not _TOKEN_RE.match(self.token):
            raise SettingsError(
                "SCAMGUARD_TOKEN does not look like a bot token (expected <digits>:<secret>)"
            )
        return self.token

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Read SCAMGUARD_* variables; raise SettingsError naming the first bad one."""

        def get(name: str) -> str | None:
            value = env.get(name)
            return value.strip() if value is not None and value.strip() else None

        def secret(name: str) -> str | None:
            """NAME, or the first line of the file NAME_FILE names (Docker / systemd
            credentials); both set is an error."""
            value, path = get(name), get(f"{name}_FILE")
            if path is None:
                return value
            if value is not None:
                raise SettingsError(f"set {name} or {name}_FILE, not both")
            try:
                text = Path(path).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise SettingsError(
                    f"{name}_FILE: cannot read {path} ({exc.__class__.__name__})"
                ) from None
            lines = text.strip().splitlines()
            if not lines or not lines[0].strip():
                raise SettingsError(f"{name}_FILE: {path} is empty")
            return lines[0].strip()

        mode = (get("SCAMGUARD_MODE") or "polling").lower()
        if mode not in ("polling", "webhook"):
            raise SettingsError("SCAMGUARD_MODE must be 'polling' or 'webhook'")
        webhook_url = get("SCAMGUARD_WEBHOOK_URL")
        webhook_secret = secret("SCAMGUARD_WEBHOOK_SECRET")
        http = _parse_http(get("SCAMGUARD_HTTP"))
        if mode == "webhook":
            if not webhook_url:
                raise SettingsError("SCAMGUARD_MODE=webhook needs SCAMGUARD_WEBHOOK_URL")
            if not webhook_secret or not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", webhook_secret):
                raise SettingsError(
                    "SCAMGUARD_MODE=webhook needs SCAMGUARD_WEBHOOK_SECRET "
                    "(1-256 characters A-Z a-z 0-9 _ -)"
                )
            if http is None:
                raise SettingsError("SCAMGUARD_MODE=webhook needs SCAMGUARD_HTTP=host:port")

        level = (get("SCAMGUARD_LOG_LEVEL") or "INFO").upper()
        if level not in _LOG_LEVELS:
            raise SettingsError(f"SCAMGUARD_LOG_LEVEL must be one of {', '.join(_LOG_LEVELS)}")

        refit_corpus = _parse_dir(get("SCAMGUARD_REFIT_CORPUS"), "SCAMGUARD_REFIT_CORPUS")
        rules = get("SCAMGUARD_RULES")
        db_path, db_url = _parse_db(get("SCAMGUARD_DB"))
        return cls(
            token=secret("SCAMGUARD_TOKEN"),
            api_url=get("SCAMGUARD_API_URL") or DEFAULT_API_URL,
            db_path=db_path,
            db_url=db_url,
            rules_dir=Path(rules) if rules else RULES_DIR,
            mode=mode,
            webhook_url=webhook_url,
            webhook_secret=webhook_secret,
            http=http,
            http_token=secret("SCAMGUARD_HTTP_TOKEN"),
            operators=_parse_ids(get("SCAMGUARD_OPERATORS")),
            log_level=level,
            log_json=_parse_bool(get("SCAMGUARD_LOG_JSON"), "SCAMGUARD_LOG_JSON"),
            retention_days=_parse_int(
                get("SCAMGUARD_RETENTION_DAYS"), "SCAMGUARD_RETENTION_DAYS", 90, 1, 3650
            ),
            expand_links=_parse_bool(get("SCAMGUARD_EXPAND_LINKS"), "SCAMGUARD_EXPAND_LINKS"),
            link_timeout=_parse_float(
                get("SCAMGUARD_LINK_TIMEOUT"), "SCAMGUARD_LINK_TIMEOUT", 3.0, 0.1, 30.0
            ),
            rules_watch_seconds=_parse_float(
                get("SCAMGUARD_RULES_WATCH"), "SCAMGUARD_RULES_WATCH", 3.0, 0.0, 3600.0
            ),
            data_dir=Path(data) if (data := get("SCAMGUARD_DATA_DIR")) else None,
            lists_update_hours=_parse_float(
                get("SCAMGUARD_LISTS_UPDATE_HOURS"), "SCAMGUARD_LISTS_UPDATE_HOURS",
                24.0, 0.0, 24.0 * 365,
            ),
            follow_up_hours=_parse_float(
                get("SCAMGUARD_FOLLOW_UP_HOURS"), "SCAMGUARD_FOLLOW_UP_HOURS", 24.0, 0.0,
                24.0 * 30,
            ),
            refit_hours=_parse_float(
                get("SCAMGUARD_REFIT_HOURS"), "SCAMGUARD_REFIT_HOURS", 0.0, 0.0, 24.0 * 365
            ),
            refit_timeout=_parse_float(
                get("SCAMGUARD_REFIT_TIMEOUT"), "SCAMGUARD_REFIT_TIMEOUT", 3600.0, 10.0,
                24.0 * 3600,
            ),
            refit_corpus=refit_corpus or (SOURCE_CORPUS if SOURCE_CORPUS.is_dir() else None),
            refit_dev=_parse_dir(get("SCAMGUARD_REFIT_DEV"), "SCAMGUARD_REFIT_DEV"),
            corpus_dir=Path(corpus) if (corpus := get("SCAMGUARD_CORPUS")) else None,
        )


def _parse_db(value: str | None) -> tuple[Path, str | None]:
    """SCAMGUARD_DB: a SQLite file path, `sqlite:///relative/path`, `sqlite:////absolute/path`,
    or a `postgresql://user:password@host:port/database` URL."""
    if value is None:
        return Path("scamguard.db"), None
    if value.startswith(("postgresql://", "postgres://")):
        if len(value.split("://", 1)[1].strip("/")) == 0:
            raise SettingsError("SCAMGUARD_DB: a postgresql:// URL needs at least a host")
        return Path("scamguard.db"), value
    if value.startswith("sqlite://"):
        path = value.removeprefix("sqlite:///") if value.startswith("sqlite:///") else ""
        if not path:
            raise SettingsError(
                "SCAMGUARD_DB: write a SQLite URL as sqlite:///relative/path or "
                "sqlite:////absolute/path"
            )
        return Path(path), None
    if "://" in value:
        raise SettingsError(
            "SCAMGUARD_DB must be a SQLite file path, sqlite:///path or postgresql://..."
        )
    return Path(value), None


def _parse_dir(value: str | None, name: str) -> Path | None:
    if value is None:
        return None
    path = Path(value)
    if not path.is_dir():
        raise SettingsError(f"{name}: {value} is not a directory")
    return path


def _parse_http(value: str | None) -> HttpAddress | None:
    if value is None or value.lower() == "off":
        return None
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise SettingsError("SCAMGUARD_HTTP must be host:port, e.g. 127.0.0.1:8080")
    return HttpAddress(host.strip("[]") or "0.0.0.0", int(port))


def _parse_ids(value: str | None) -> frozenset[int]:
    if not value:
        return frozenset()
    out = set()
    for part in value.split(","):
        part = part.strip()
        if not part:
            continue
        if not re.fullmatch(r"-?\d{1,20}", part):
            raise SettingsError(f"SCAMGUARD_OPERATORS: {part!r} is not a Telegram user id")
        out.add(int(part))
    return frozenset(out)


def _parse_bool(value: str | None, name: str) -> bool:
    if value is None:
        return False
    low = value.lower()
    if low in ("1", "true", "yes", "on"):
        return True
    if low in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be true or false")


def _parse_int(value: str | None, name: str, default: int, lo: int, hi: int) -> int:
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number") from None
    if not lo <= number <= hi:
        raise SettingsError(f"{name} must be between {lo} and {hi}")
    return number


def _parse_float(value: str | None, name: str, default: float, lo: float, hi: float) -> float:
    if value is None:
        return default
    try:
        number = float(value)
    except ValueError:
        raise SettingsError(f"{name} must be a number") from None
    if not lo <= number <= hi:
        raise SettingsError(f"{name} must be between {lo} and {hi}")
    return number
