"""The web console for moderators and operators, served at /console/ by the SCAMGUARD_HTTP
server when SCAMGUARD_HTTP_TOKEN is set (see `bot.console.web`)."""

from bot.console.web import CONSOLE_KEY, ConsoleState, add_console_routes

__all__ = ["CONSOLE_KEY", "ConsoleState", "add_console_routes"]
