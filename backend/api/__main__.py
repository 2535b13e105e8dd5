"""``python -m api``: serve the application on ``API_HOST``:``API_PORT`` (as ``amt serve``)."""

from amt.api.__main__ import main

if __name__ == "__main__":
    main()
