"""``uvicorn api.main:app`` (the seed's command): the application of :mod:`amt.api.main`."""

from amt.api.main import app

__all__ = ["app"]
