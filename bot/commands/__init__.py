"""Sub-commands of the `scamguard` CLI, one module per group (see bot.cli)."""
