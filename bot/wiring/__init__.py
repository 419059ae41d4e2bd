"""The Telegram side of the application besides the handlers: services, admin cache, HTTP
server, metrics and scheduled jobs. `bot.app.build_application` puts them together."""
