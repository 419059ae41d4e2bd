"""The bundled default rule set (data files; see README.md in this folder)."""

from pathlib import Path

RULES_DIR = Path(__file__).resolve().parent
