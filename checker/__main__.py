"""`python -m checker` is the same as the `checker` console script."""

from checker.cli import entry

entry()
