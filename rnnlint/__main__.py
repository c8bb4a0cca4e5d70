"""`python -m rnnlint` runs the command line."""

from .cli import main

main()
