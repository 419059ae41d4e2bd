"""Telegram update handlers: the only place besides the wiring that knows PTB types."""

from telegram import LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.ext import Defaults

# Every message the bot sends goes without a link preview: a preview of a scam link would
# show its page to the whole group.
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)

# Set once on the Application by build_application(): every text and caption the bot sends is
# HTML (user text is always escaped) and never previews a link.
BOT_DEFAULTS = Defaults(parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW)
