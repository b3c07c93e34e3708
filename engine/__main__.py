"""`python -m engine ...`: the headless command line (see `engine.cli`)."""

import sys

from .cli_commands import main

if __name__ == "__main__":
    sys.exit(main())
