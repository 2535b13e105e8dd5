"""``python -m cli …``: the same as the ``amt`` command."""

import sys

from amt.cli.__main__ import run

if __name__ == "__main__":
    sys.exit(run())
