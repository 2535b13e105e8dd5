"""The seed's server entry points, run from ``backend/``: ``uvicorn api.main:app`` and ``python -m api``.

The service itself is :mod:`amt.api`; these modules only forward to it.
"""
