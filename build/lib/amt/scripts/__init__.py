"""Command-line maintenance scripts, run from ``backend/`` as ``python -m scripts.<name>``."""
