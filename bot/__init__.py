"""scamguard: warns Telegram users about scams, with tips and official reporting contacts."""

__version__ = "0.1.0"
