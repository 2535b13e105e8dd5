"""``python -m scripts.build_reference_corpus``: runs :mod:`amt.scripts.build_reference_corpus`."""

import sys

from amt.scripts.build_reference_corpus import main

if __name__ == "__main__":
    sys.exit(main())
