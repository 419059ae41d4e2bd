"""scamguard: warns Telegram users about scams, with tips and official reporting contacts."""

# The one source of the version: the package metadata (pyproject.toml) reads it from here, and
# `scamguard --version`, /metrics (scamguard_build_info) and CHANGELOG.md name it.
__version__ = "0.2.0"
