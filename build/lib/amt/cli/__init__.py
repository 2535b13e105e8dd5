"""The command line: ``python -m cli analyze track.wav`` from ``backend/`` (no server needed)."""
