"""Storage forms of the §4 time series (zlib-compressed JSON) and of a reference's figures (float64 blobs)."""

from __future__ import annotations

import json
import zlib
from collections.abc import Sequence
from dataclasses import fields
from typing import Any

import numpy as np

from amt.analysis.result import TimeSeries


def series_fields(series: TimeSeries) -> dict[str, Any]:
    """The dict form of a TimeSeries, sharing its lists: ``dataclasses.asdict`` would copy every list element
    by element (tens of thousands of Python calls for a long file), and the series is only read."""
    return {f.name: getattr(series, f.name) for f in fields(series)}


def pack_series(series: TimeSeries | dict[str, Any]) -> bytes:
    """Compress a TimeSeries (or its dict form) for a blob column."""
    data = series_fields(series) if isinstance(series, TimeSeries) else series
    return zlib.compress(json.dumps(data, separators=(",", ":"), allow_nan=False).encode(), level=6)


_DECODER = json.JSONDecoder()
_INFLATE_STEP = 1 << 14
"""Bytes of JSON inflated at a time while looking for one field."""


def unpack_series_field(blob: bytes | None, name: str) -> Any:
    """One top-level field of a stored series (None when absent), inflating only as far as it ends.

    For reading one small field of many series (the spectrum of every reference) without
    parsing the large loudness arrays: the blob is compact JSON of numbers, so the key's
    text occurs once, and only where the key is.
    """
    if not blob:
        return None
    key = f'"{name}":'.encode()
    inflate = zlib.decompressobj()
    text = inflate.decompress(blob, _INFLATE_STEP)
    while True:
        start = text.find(key)
        if start >= 0:
            try:
                return _DECODER.raw_decode(text.decode("ascii"), start + len(key))[0]
            except json.JSONDecodeError:
                pass  # the value goes on past what is inflated so far
        if not inflate.unconsumed_tail:
            return None if start < 0 else _DECODER.raw_decode(text.decode("ascii"), start + len(key))[0]
        text += inflate.decompress(inflate.unconsumed_tail, _INFLATE_STEP)


def unpack_series(blob: bytes | None) -> dict[str, Any] | None:
    """The dict form of a stored series, or None."""
    if not blob:
        return None
    data: dict[str, Any] = json.loads(zlib.decompress(blob))
    return data


FLOATS_DTYPE = np.dtype("<f8")
"""Stored figures (a reference's spectrum and band figures): float64 little-endian, exactly the measured values."""


def pack_floats(values: Sequence[float | None] | np.ndarray | None) -> bytes | None:
    """Numbers (None → NaN) as a blob column; None without any."""
    if values is None or len(values) == 0:
        return None
    if isinstance(values, np.ndarray):
        return values.astype(FLOATS_DTYPE).tobytes()
    return np.array([np.nan if v is None else v for v in values], dtype=FLOATS_DTYPE).tobytes()


def unpack_floats(blob: bytes | None) -> np.ndarray | None:
    """A blob of :func:`pack_floats` as a flat float array (NaN where a value was null), or None."""
    if not blob:
        return None
    return np.frombuffer(blob, dtype=FLOATS_DTYPE).astype(float)
