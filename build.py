"""Build the explainer site: `python build.py --help` tells how."""

import os
import sys

from explainer.cli import main

if __name__ == "__main__":
    status = main()
    # The interpreter's shutdown would free the site's objects one by one, a tenth of a small
    # build's time, for a process that is ending: its output is flushed and it ends at once.
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(status)
