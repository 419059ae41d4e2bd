"""deploy/: the compose files, the systemd unit, the Prometheus alert rules and the Grafana
dashboard are parsed and checked against what the code really has: every SCAMGUARD_ variable
is one that bot/settings.py reads, every metric an alert or a panel queries is one the bot
exports, and the dashboard follows the dashboard JSON schema below."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from bot.wiring.metrics import Metrics

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
COMPOSE_FILES = ["docker-compose.yml", "docker-compose.webhook.yml"]

# Names of PromQL functions, aggregations and keywords (everything else is a metric name).
PROMQL_WORDS = frozenset({
    "sum", "min", "max", "avg", "count", "rate", "irate", "increase", "delta", "by", "without",
    "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool", "offset",
    "histogram_quantile", "clamp_min", "clamp_max", "abs", "absent", "topk", "bottomk",
    "avg_over_time", "max_over_time", "min_over_time", "time", "vector", "scalar", "e",
})
# Metrics Prometheus adds itself for every scrape target.
SCRAPE_METRICS = frozenset({"up", "scrape_duration_seconds", "scrape_samples_scraped"})


def exported_series() -> set[str]:
    """Every series name /metrics can carry, from the bot's own registry."""
    names: set[str] = set()
    for family in Metrics().registry.collect():
        base = family.name
        if family.type == "counter":
            names |= {f"{base}_total", f"{base}_created"}
        elif family.type == "histogram":
            names |= {f"{base}_bucket", f"{base}_count", f"{base}_sum", f"{base}_created"}
        elif family.type == "info":
            names.add(f"{base}_info")
        else:
            names.add(base)
    return names


SERIES = exported_series()


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # label values
    text = re.sub(r"\{[^}]*\}", "", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", "", text)  # range selectors
    text = re.sub(r"\b(?:by|without|on|ignoring)\s*\([^)]*\)", "", text)  # grouping labels
    words = re.findall(r"\b[A-Za-z_:][A-Za-z0-9_:]*\b(?!\s*\()", text)
    return {w for w in words if w not in PROMQL_WORDS and not re.fullmatch(r"\d.*", w)}


def balanced(expr: str) -> bool:
    depth = {"(": 0, "[": 0, "{": 0}
    closing = {")": "(", "]": "[", "}": "{"}
    for char in re.sub(r'"(?:[^"\\]|\\.)*"', "", expr):
        if char in depth:
            depth[char] += 1
        elif char in closing:
            depth[closing[char]] -= 1
            if depth[closing[char]] < 0:
                return False
    return not any(depth.values())


def settings_variables() -> set[str]:
    """SCAMGUARD_* names bot/settings.py reads, with the _FILE forms of the secrets."""
    source = (ROOT / "bot" / "settings.py").read_text("utf-8")
    plain = set(re.findall(r'get\("(SCAMGUARD_[A-Z_]+)"\)', source))
    secrets = set(re.findall(r'secret\("(SCAMGUARD_[A-Z_]+)"\)', source))
    return plain | secrets | {f"{name}_FILE" for name in secrets}


def test_metric_name_extraction_is_not_vacuous():
    """The PromQL reader finds metric names and ignores functions, labels and ranges."""
    expr = 'sum by (code) (rate(scamguard_telegram_errors_total{code="429"}[5m])) / up > 0'
    assert metric_names(expr) == {"scamguard_telegram_errors_total", "up"}
    assert "scamguard_update_queue_depth" in SERIES and "scamguard_build_info" in SERIES
    assert "process_resident_memory_bytes" in SERIES and "python_gc_collections_total" in SERIES


# ---- Prometheus alert rules ------------------------------------------------------------------


def alert_rules() -> list[dict[str, Any]]:
    data = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text("utf-8"))
    return [rule for group in data["groups"] for rule in group["rules"]]


def test_alert_rules_are_well_formed():
    """Every rule has a unique name, an expression, a severity and a summary; durations
    are Prometheus durations."""
    rules = alert_rules()
    assert len(rules) >= 8
    names = [r["alert"] for r in rules]
    assert len(names) == len(set(names))
    for rule in rules:
        assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}, rule
        assert rule["labels"]["severity"] in ("critical", "warning", "info")
        assert rule["annotations"]["summary"]
        assert balanced(rule["expr"]), rule["alert"]
        if "for" in rule:
            assert re.fullmatch(r"\d+[smhd]", rule["for"]), rule["alert"]


@pytest.mark.parametrize("rule", alert_rules(), ids=lambda r: r["alert"])
def test_alert_expressions_query_exported_metrics(rule):
    """Each alert queries only metrics the bot exports (or Prometheus' own `up`)."""
    names = metric_names(rule["expr"])
    assert names, rule["expr"]
    assert names <= SERIES | SCRAPE_METRICS, names - SERIES


# ---- Grafana dashboard -----------------------------------------------------------------------

DASHBOARD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["title", "uid", "schemaVersion", "panels", "time", "templating"],
    "properties": {
        "title": {"type": "string", "minLength": 1},
        "uid": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,40}$"},
        "schemaVersion": {"type": "integer", "minimum": 30},
        "refresh": {"type": "string"},
        "time": {"type": "object", "required": ["from", "to"]},
        "templating": {"type": "object", "required": ["list"],
                       "properties": {"list": {"type": "array"}}},
        "panels": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["id", "type", "title", "gridPos", "targets", "datasource"],
                "properties": {
                    "id": {"type": "integer", "minimum": 1},
                    "type": {"enum": ["timeseries", "stat", "gauge", "table", "bargauge"]},
                    "title": {"type": "string", "minLength": 1},
                    "gridPos": {
                        "type": "object",
                        "required": ["h", "w", "x", "y"],
                        "properties": {
                            "h": {"type": "integer", "minimum": 1},
                            "w": {"type": "integer", "minimum": 1, "maximum": 24},
                            "x": {"type": "integer", "minimum": 0, "maximum": 23},
                            "y": {"type": "integer", "minimum": 0},
                        },
                    },
                    "datasource": {"type": "object", "required": ["type", "uid"]},
                    "targets": {
                        "type": "array",
                        "minItems": 1,
                        "items": {"type": "object", "required": ["refId", "expr"],
                                  "properties": {"expr": {"type": "string", "minLength": 1}}},
                    },
                },
            },
        },
    },
}


def dashboard() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (DEPLOY / "grafana" / "scamguard.json").read_text("utf-8"))
    return data


def test_dashboard_follows_the_schema():
    """The dashboard validates; panel ids are unique and panels fit the 24-column grid."""
    data = dashboard()
    jsonschema.validate(data, DASHBOARD_SCHEMA)
    ids = [p["id"] for p in data["panels"]]
    assert len(ids) == len(set(ids))
    for panel in data["panels"]:
        assert panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24, panel["title"]
    names = {t["name"] for t in data["templating"]["list"]}
    assert all(p["datasource"]["uid"].strip("${}") in names for p in data["panels"])


def test_dashboard_schema_rejects_a_broken_panel():
    """The schema is not vacuous: a panel without targets is refused."""
    data = dashboard()
    data["panels"][0].pop("targets")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, DASHBOARD_SCHEMA)


def test_dashboard_queries_exported_metrics():
    """Every panel query selects metrics the bot exports; together they show every
    scamguard metric family."""
    used: set[str] = set()
    for panel in dashboard()["panels"]:
        for target in panel["targets"]:
            assert balanced(target["expr"]), target["expr"]
            names = metric_names(target["expr"])
            assert names and names <= SERIES, (panel["title"], names - SERIES)
            used |= names
    families = {f.name for f in Metrics().registry.collect() if f.name.startswith("scamguard_")}
    shown = {n for n in used if n.startswith("scamguard_")}
    missing = {f for f in families if not any(n.startswith(f) for n in shown)}
    assert not missing


# ---- docker compose and systemd --------------------------------------------------------------


@pytest.mark.parametrize("name", COMPOSE_FILES)
def test_compose_files_use_real_settings_and_declared_volumes(name):
    """The bot service builds the repository's image, keeps /data on a named volume, reads
    secrets from files and sets only variables bot/settings.py knows."""
    data = yaml.safe_load((DEPLOY / name).read_text("utf-8"))
    bot = data["services"]["bot"]
    assert (DEPLOY / bot["build"]["context"] / "Dockerfile").is_file()
    env = bot["environment"]
    known = settings_variables()
    assert {k for k in env if k.startswith("SCAMGUARD_")} <= known, set(env) - known
    assert "SCAMGUARD_TOKEN" not in env and env["SCAMGUARD_TOKEN_FILE"].startswith("/run/secrets/")
    for secret in bot["secrets"]:
        assert secret in data["secrets"]
    volume = next(v for v in bot["volumes"] if v.endswith(":/data"))
    assert volume.split(":")[0] in data["volumes"]
    assert env["SCAMGUARD_DATA_DIR"] == "/data"


def test_webhook_compose_routes_the_webhook_path_through_the_proxy():
    """The webhook URL's path is the one path the reverse proxy forwards to the bot."""
    data = yaml.safe_load((DEPLOY / "docker-compose.webhook.yml").read_text("utf-8"))
    env = data["services"]["bot"]["environment"]
    assert env["SCAMGUARD_MODE"] == "webhook"
    path = "/" + env["SCAMGUARD_WEBHOOK_URL"].split("/", 3)[3]
    caddy = (DEPLOY / "Caddyfile").read_text("utf-8")
    assert f"handle {path} {{" in caddy and "reverse_proxy bot:8080" in caddy
    assert "ports" not in data["services"]["bot"]  # the bot itself is not published


def systemd_unit() -> dict[str, list[tuple[str, str]]]:
    sections: dict[str, list[tuple[str, str]]] = {}
    current = None
    for line in (DEPLOY / "scamguard.service").read_text("utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            assert line.endswith("]"), line
            current = sections.setdefault(line[1:-1], [])
            continue
        assert current is not None and "=" in line, line
        key, _, value = line.partition("=")
        current.append((key, value))
    return sections


def test_systemd_unit_runs_the_bot_unprivileged_with_real_settings():
    """The unit runs `scamguard run` as its own user with hardening, restarts on failure,
    takes the token as a credential file and sets only known variables."""
    unit = systemd_unit()
    assert set(unit) == {"Unit", "Service", "Install"}
    service = dict(unit["Service"])
    assert service["ExecStart"].endswith("scamguard run")
    assert service["User"] == "scamguard" and service["NoNewPrivileges"] == "true"
    assert service["Restart"] == "on-failure"
    env = dict(v.split("=", 1) for k, v in unit["Service"] if k == "Environment")
    known = settings_variables() | {"PTB_TIMEDELTA"}
    assert set(env) <= known, set(env) - known
    assert env["SCAMGUARD_TOKEN_FILE"] == "%d/telegram_token"
    assert "LoadCredential" in service
    assert dict(unit["Install"])["WantedBy"] == "multi-user.target"
