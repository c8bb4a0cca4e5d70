"""`python -m rnnlint` runs the command line."""

import os
import sys

# `python -m` puts the current folder first on sys.path: in a linted repository, its `signal/`
# or `click.py` would be imported (and run) in place of the real modules. rnnlint's own modules
# are found through its package, never through that entry.
try:
    here = os.getcwd()
except OSError:  # a deleted working folder: the command reports it
    here = ""
if sys.path and sys.path[0] in ("", here):
    del sys.path[0]

from .cli import main  # noqa: E402

main()
