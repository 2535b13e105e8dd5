"""Load the built-in reference library (real corpus tracks and archetypes) into the database.

python -m scripts.populate_references          # adds the built-ins that are missing (idempotent)
python -m scripts.populate_references --force  # replaces every built-in; user references stay
"""

from __future__ import annotations

import argparse
import sys

from amt.api.core.config import get_settings
from amt.api.database import open_database, session_scope
from amt.api.repositories.reference_repo import ReferenceRepository
from amt.api.services.builtin import METADATA_PATH, load_metadata, populate
from amt.utils.process import tune_process


def main(argv: list[str] | None = None) -> int:
    """Run the script; the process exit code."""
    tune_process()
    parser = argparse.ArgumentParser(prog="python -m scripts.populate_references", description=__doc__.split("\n")[0])
    parser.add_argument("--force", action="store_true", help="replace the built-in references (user ones are kept)")
    args = parser.parse_args(argv)
    if not load_metadata():
        print(f"error: no built-in references: corpus.json and {METADATA_PATH.name} are missing", file=sys.stderr)
        return 2
    engine, factory = open_database(get_settings())
    try:
        with session_scope(factory) as session:
            added, kept = populate(session, force=args.force)
            total = ReferenceRepository(session).count()
        verb = "replaced" if args.force else "added"
        print(f"{verb} {added} built-in reference(s), {kept} already present; {total} reference(s) in the library")
        return 0
    finally:
        engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
