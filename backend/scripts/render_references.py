"""``python -m scripts.render_references``: runs :mod:`amt.scripts.render_references` (``amt references …``)."""

import sys

from amt.scripts.render_references import main

if __name__ == "__main__":
    sys.exit(main())
