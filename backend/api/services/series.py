"""Storage form of the §4 time series: zlib-compressed JSON."""

from __future__ import annotations

import json
import zlib
from dataclasses import asdict
from typing import Any

from analysis.result import TimeSeries


def pack_series(series: TimeSeries | dict[str, Any]) -> bytes:
    """Compress a TimeSeries (or its dict form) for a blob column."""
    data = asdict(series) if isinstance(series, TimeSeries) else series
    return zlib.compress(json.dumps(data, separators=(",", ":"), allow_nan=False).encode(), level=6)


def unpack_series(blob: bytes | None) -> dict[str, Any] | None:
    """The dict form of a stored series, or None."""
    if not blob:
        return None
    data: dict[str, Any] = json.loads(zlib.decompress(blob))
    return data
