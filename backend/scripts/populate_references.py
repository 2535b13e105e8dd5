"""``python -m scripts.populate_references``: runs :mod:`amt.scripts.populate_references` (``amt references …``)."""

import sys

from amt.scripts.populate_references import main

if __name__ == "__main__":
    sys.exit(main())
