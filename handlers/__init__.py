"""Telegram update handlers: the only place besides the wiring that knows PTB types."""

from telegram import LinkPreviewOptions

# Every message the bot sends goes without a link preview: a preview of a scam link would
# show its page to the whole group.
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
