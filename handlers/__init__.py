"""Telegram update handlers: the only place besides the wiring that knows PTB types."""
