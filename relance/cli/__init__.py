"""The `relance` command (typer): `app` is the entry point; commands live in app.py and law.py."""

from relance.cli.app import app

__all__ = ["app"]
