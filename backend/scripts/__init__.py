"""The seed's ``python -m scripts.…`` commands, run from ``backend/``; each forwards to :mod:`amt.scripts`."""
