"""``python -m api`` (what ``make run`` uses): serve the app on ``API_HOST``:``API_PORT`` from the settings."""

from __future__ import annotations

import uvicorn

from amt.api.core.config import get_settings


def main() -> None:
    """Run uvicorn with the host and port of the settings (environment, then ``.env``)."""
    settings = get_settings()
    uvicorn.run("amt.api.main:app", host=settings.api_host, port=settings.api_port)


if __name__ == "__main__":
    main()
