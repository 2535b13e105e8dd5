"""Cosine-similarity ranking of reference vectors, and their byte form for the database (SPEC §6).

A vector is stored as 128 little-endian float32 (512 bytes) beside its
``feature_version``. :class:`SimilarityIndex` keeps every reference as one
row-normalised float32 matrix; a query is one matrix–vector product and an
``argpartition`` — no Python loop over references — so a million references
rank in a few tens of milliseconds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

import numpy as np

from amt.ml.feature_extraction import FEATURE_VERSION, VECTOR_DIM
from amt.utils.errors import AppError

VECTOR_BYTES = VECTOR_DIM * 4
_DTYPE = np.dtype("<f4")


class FeatureVectorError(AppError):
    """A stored vector has the wrong length, is not finite, or has another feature version."""

    status_code = 500


def vector_to_bytes(vector: np.ndarray) -> bytes:
    """128 finite values → 512 bytes (little-endian float32)."""
    v = np.asarray(vector)
    if v.shape != (VECTOR_DIM,):
        raise FeatureVectorError(f"A feature vector has {VECTOR_DIM} values, not shape {v.shape}.")
    if not np.isfinite(v).all():
        raise FeatureVectorError("A feature vector must not contain NaN or infinite values.")
    return v.astype(_DTYPE).tobytes()


def vector_from_bytes(blob: bytes, *, feature_version: int | str | None = None) -> np.ndarray:
    """512 bytes → 128 float32. With ``feature_version`` (int or its string form), refuse another version."""
    if feature_version is not None and str(feature_version).strip() != str(FEATURE_VERSION):
        raise FeatureVectorError(
            f"The stored vector has feature version {feature_version}; this build computes version "
            f"{FEATURE_VERSION}. Re-compute the vectors."
        )
    if len(blob) != VECTOR_BYTES:
        raise FeatureVectorError(f"A stored feature vector is {VECTOR_BYTES} bytes, not {len(blob)}.")
    return np.frombuffer(blob, dtype=_DTYPE).astype(np.float32)


def matrix_from_bytes(blobs: Sequence[bytes]) -> np.ndarray:
    """Many 512-byte vectors → one (n, 128) float32 matrix, in one copy."""
    if any(len(b) != VECTOR_BYTES for b in blobs):
        raise FeatureVectorError(f"Every stored feature vector must be {VECTOR_BYTES} bytes.")
    if not blobs:
        return np.zeros((0, VECTOR_DIM), dtype=np.float32)
    return np.frombuffer(b"".join(blobs), dtype=_DTYPE).reshape(len(blobs), VECTOR_DIM).astype(np.float32)


def _normalise_rows(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length; all-zero rows stay zero (similarity 0 to everything)."""
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    returned: np.ndarray = np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0)
    return returned


class Match(NamedTuple):
    """One ranked reference: its id and cosine similarity (−1 … 1)."""

    id: str
    similarity: float


class SimilarityIndex:
    """All reference vectors as one normalised float32 matrix, with their ids and genres."""

    def __init__(self, ids: Sequence[str], genres: Sequence[str | None], matrix: np.ndarray) -> None:
        m = np.asarray(matrix, dtype=np.float32)
        if m.ndim != 2 or m.shape[1] != VECTOR_DIM or m.shape[0] != len(ids) or len(genres) != len(ids):
            raise FeatureVectorError(
                f"The index needs one {VECTOR_DIM}-value vector, one id and one genre per reference."
            )
        self._ids = np.asarray(list(ids), dtype=object)
        self._matrix = np.ascontiguousarray(_normalise_rows(m))
        keys = [g.casefold() if g else "" for g in genres]
        self._genre_code: dict[str, int] = {}
        codes = np.fromiter(
            (self._genre_code.setdefault(k, len(self._genre_code)) for k in keys), dtype=np.int32, count=len(keys)
        )
        self._codes = codes

    @classmethod
    def from_blobs(cls, ids: Sequence[str], genres: Sequence[str | None], blobs: Sequence[bytes]) -> SimilarityIndex:
        """Build from stored 512-byte vectors."""
        return cls(ids, genres, matrix_from_bytes(blobs))

    @classmethod
    def from_vectors(cls, items: Iterable[tuple[str, str | None, np.ndarray]]) -> SimilarityIndex:
        """Build from (id, genre, vector) triples."""
        rows = list(items)
        matrix = np.stack([r[2] for r in rows]) if rows else np.zeros((0, VECTOR_DIM), dtype=np.float32)
        return cls([r[0] for r in rows], [r[1] for r in rows], matrix)

    def __len__(self) -> int:
        return int(self._matrix.shape[0])

    @property
    def ids(self) -> list[str]:
        """Reference ids in matrix row order."""
        returned: list[str] = self._ids.tolist()
        return returned

    def similarities(self, query: np.ndarray) -> np.ndarray:
        """Cosine similarity of ``query`` to every reference, in row order (float32)."""
        q = np.asarray(query, dtype=np.float32).reshape(-1)
        if q.shape != (VECTOR_DIM,):
            raise FeatureVectorError(f"A query vector has {VECTOR_DIM} values, not {q.shape[0]}.")
        norm = float(np.linalg.norm(q))
        if norm == 0.0 or not np.isfinite(norm):
            return np.zeros(len(self), dtype=np.float32)
        returned: np.ndarray = self._matrix @ (q / np.float32(norm))
        return returned

    def rank(self, query: np.ndarray, *, top_k: int = 5, genre: str | None = None) -> list[Match]:
        """The ``top_k`` most similar references, best first, optionally only those of ``genre`` (case-insensitive)."""
        if top_k < 1 or len(self) == 0:
            return []
        sims = self.similarities(query)
        if genre is not None:
            code = self._genre_code.get(genre.casefold())
            if code is None:
                return []
            candidates = np.flatnonzero(self._codes == code)
            scores = sims[candidates]
        else:
            candidates = None
            scores = sims
        k = min(top_k, scores.shape[0])
        top = np.argpartition(-scores, k - 1)[:k] if k < scores.shape[0] else np.arange(scores.shape[0])
        # Best first; ties broken by row order so results are stable.
        top = top[np.lexsort((top, -scores[top]))]
        rows = top if candidates is None else candidates[top]
        return [Match(id=str(self._ids[r]), similarity=float(sims[r])) for r in rows]
