"""Subcommands of the ``sscodec`` CLI: one module per command (see ``sscodec.cli``)."""
