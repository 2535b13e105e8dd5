"""``python -m scripts.analyze_reference``: runs :mod:`amt.scripts.analyze_reference` (``amt references …``)."""

import sys

from amt.scripts.analyze_reference import main

if __name__ == "__main__":
    sys.exit(main())
