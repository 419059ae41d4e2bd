"""Architecture contracts that keep the detection core independent of Telegram."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_core_never_imports_telegram_or_does_io_libraries():
    """bot/core imports neither telegram nor the network or database libraries."""
    banned = {"telegram", "aiohttp", "aiosqlite", "sqlite3", "requests", "handlers"}
    offenders = {
        str(p.relative_to(ROOT)): sorted(_imports(p) & banned)
        for p in (ROOT / "bot" / "core").rglob("*.py")
        if _imports(p) & banned
    }
    assert offenders == {}


def test_core_imports_without_telegram_loaded():
    """Importing the core in a fresh interpreter does not pull in telegram."""
    import subprocess
    import sys

    code = "import sys, bot.core; print('telegram' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
