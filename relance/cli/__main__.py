"""`python -m relance.cli`."""

from relance.cli import app

app()
