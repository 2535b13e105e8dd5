"""Write (or check) ``database/schema.sql``, the reference schema rendered from the ORM metadata.

python -m amt.scripts.render_schema            # rewrite backend/database/schema.sql
python -m amt.scripts.render_schema --check    # exit 1 if it is not current
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from amt.api.models import schema_sql

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "database" / "schema.sql"
"""backend/database/schema.sql (next to the historic migrations)."""


def main(argv: list[str] | None = None) -> int:
    """Rewrite the schema file, or with ``--check`` report whether it is current; the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check that the file is current")
    args = parser.parse_args(argv)
    wanted = schema_sql()
    if args.check:
        current = SCHEMA_PATH.read_text() if SCHEMA_PATH.exists() else ""
        if current != wanted:
            print(f"{SCHEMA_PATH} is out of date: run python -m amt.scripts.render_schema", file=sys.stderr)
            return 1
        print(f"{SCHEMA_PATH} is current")
        return 0
    SCHEMA_PATH.write_text(wanted)
    print(f"wrote {SCHEMA_PATH}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
