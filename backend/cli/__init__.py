"""``python -m cli …`` from ``backend/``: the ``amt`` command (:mod:`amt.cli`) without installing it."""
