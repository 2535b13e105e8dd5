"""Biquad cascades advanced many samples at a time by matrix products (exact, not truncated).

``scipy.signal.sosfilt`` runs one sample after another: each output waits for the
previous one, so a core does one small step at a time (≈ 6 ns a sample however few
sections). Cut into rows of M samples, the same recursion becomes matrix products —
the rows' own (zero-state) responses, and each row's start state carried to the
next — which run at the full width of the core. Nothing is approximated: the
impulse response is not truncated, the states are the filter's own (in balanced
coordinates, where float32 rounding costs ~1e-7 of the output at any rate).

:class:`BlockForm` holds the matrices and :func:`scan_states` runs the states from
row to row; :class:`BlockFilter` runs one cascade over a stream and returns every
output sample (the K-weighting of the loudness meter); :class:`analysis.bands.BandSignals`
runs the five band filters and keeps their peaks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg

BLOCK = 32
"""Samples per row: ≈ BLOCK + 2·order multiply-adds per output sample."""
CHUNK_ROWS = 4096
"""Rows per product: a chunk's input, states and one filter's outputs (≈ 1 MB) stay in cache."""


def state_space(sos: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """(A, B, C, D) of a biquad cascade whose state is the sections' direct-form-II-transposed registers.

    The state order is scipy's ``zi`` (section by section, two registers each), so
    ``y[n] = C·s[n] + D·x[n]``, ``s[n+1] = A·s[n] + B·x[n]`` reproduces ``sosfilt``.
    """
    a_mat, b_vec, c_vec, d = np.zeros((0, 0)), np.zeros(0), np.zeros(0), 1.0
    for b0, b1, b2, a0, a1, a2 in sos:
        b0, b1, b2, a1, a2 = b0 / a0, b1 / a0, b2 / a0, a1 / a0, a2 / a0
        # One section: v = b0·u + w0; w0' = b1·u − a1·v + w1; w1' = b2·u − a2·v; its input u = C·s + D·x.
        a_s = np.array([[-a1, 1.0], [-a2, 0.0]])
        b_s = np.array([b1 - a1 * b0, b2 - a2 * b0])
        p = a_mat.shape[0]
        a_new = np.zeros((p + 2, p + 2))
        a_new[:p, :p] = a_mat
        a_new[p:, :p] = np.outer(b_s, c_vec)
        a_new[p:, p:] = a_s
        a_mat, b_vec = a_new, np.concatenate([b_vec, b_s * d])
        c_vec, d = np.concatenate([b0 * c_vec, [1.0, 0.0]]), b0 * d
    return a_mat, b_vec, c_vec, d


def balanced(a_mat: np.ndarray, b_vec: np.ndarray, c_vec: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The same system in balanced coordinates (equal controllability and observability Gramians).

    Why: in the sections' own registers a 20 Hz high-pass at 192 kHz keeps states
    hundreds of times larger than its output, and float32 rounding of them costs
    percents of the output; balanced states are of the output's size (errors ~1e-7).
    """
    wc = scipy.linalg.solve_discrete_lyapunov(a_mat, np.outer(b_vec, b_vec))
    wo = scipy.linalg.solve_discrete_lyapunov(a_mat.T, np.outer(c_vec, c_vec))

    def root(gram: np.ndarray) -> np.ndarray:
        values, vectors = np.linalg.eigh((gram + gram.T) / 2)
        returned: np.ndarray = vectors * np.sqrt(np.clip(values, values.max() * 1e-18, None))
        return returned

    lc, lo = root(wc), root(wo)
    u, sv, vt = np.linalg.svd(lo.T @ lc)
    t = lc @ vt.T / np.sqrt(sv)
    t_inv = (u / np.sqrt(sv)).T @ lo.T
    return t_inv @ a_mat @ t, t_inv @ b_vec, c_vec @ t


@dataclass(frozen=True)
class BlockForm:
    """A biquad cascade advanced ``M`` samples at a time by matrix products.

    With the input cut into rows ``x_b`` of M samples and ``s_b`` the state at the start of
    row b: outputs ``y_b[r] = Σ_j T[j, r]·x_b[j] + Σ_i Ψ[i, r]·s_b[i]`` for r = 0 … M − 1,
    and ``s_{b+1} = F·s_b + Φᵀ·x_b`` (F = A^M). This is the recursion itself, regrouped:
    exact to rounding, not a truncated impulse response.
    """

    toeplitz: np.ndarray
    """(M, M) float32: the row's zero-state response."""
    psi: np.ndarray
    """(P, M) float32: response to the row's initial state."""
    phi: np.ndarray
    """(M, P) float32: the row's input carried into the next state."""
    powers: tuple[tuple[int, np.ndarray], ...]
    """(d, F^d) for d = 1, 2, 4, … until F^d is negligible: the doubling scan over rows (:func:`scan_states`)."""

    @classmethod
    def build(cls, sos: np.ndarray, block: int = BLOCK) -> BlockForm:
        """Block form of ``sos`` for rows of ``block`` samples, outputs at every offset of a row.

        ≈ 1 ms; the arrays are read-only, so a form can be shared by meters (callers cache per rate).
        """
        a_mat, b_vec, c_vec, d = state_space(np.asarray(sos, dtype=np.float64))
        a_mat, b_vec, c_vec = balanced(a_mat, b_vec, c_vec)
        p = a_mat.shape[0]
        a_pow = [np.eye(p)]
        for _ in range(block):
            a_pow.append(a_pow[-1] @ a_mat)
        impulse = np.array([d] + [c_vec @ a_pow[k] @ b_vec for k in range(block - 1)])
        r = j = np.arange(block)  # output offsets r, input offsets j
        lag = r[None, :] - j[:, None]
        toeplitz = np.where(lag >= 0, impulse[np.clip(lag, 0, None)], 0.0)
        psi = np.stack([c_vec @ a_pow[k] for k in r], axis=1)
        phi = np.stack([a_pow[block - 1 - k] @ b_vec for k in j], axis=0)
        powers = []
        f, step = a_pow[block], 1
        # Stop once F^d holds less than 1e-12 of the state: later rows no longer feel it.
        while np.abs(f).max() > 1e-12 and step < 1 << 30:
            powers.append((step, f.astype(np.float32)))
            f, step = f @ f, 2 * step
        form = cls(toeplitz.astype(np.float32), psi.astype(np.float32), phi.astype(np.float32), tuple(powers))
        for array in (form.toeplitz, form.psi, form.phi, *(p for _, p in form.powers)):
            array.setflags(write=False)
        return form


def scan_states(start: np.ndarray, carried: np.ndarray, powers: tuple[tuple[int, np.ndarray], ...]) -> np.ndarray:
    """The state at the start of every row of a chunk, then after its last row: (P, rows + 1) float32.

    ``start`` (P,) is the state at the chunk's start, ``carried`` (P, rows) each row's input
    carried into the next state (Φᵀ·x_b), ``powers`` a form's :attr:`BlockForm.powers`. From
    s_{b+1} = F·s_b + Φᵀ·x_b: s_b = F^b·s_0 + Σ_k F^k·Φᵀ·x_{b−1−k}, summed by doubling
    (log₂ rows products, each along the whole chunk).
    """
    order, rows = carried.shape
    states = np.empty((order, rows + 1), dtype=np.float32)
    states[:, 0] = start
    states[:, 1:] = carried
    for step, power in powers:
        if step > rows:
            break
        states[:, step:] += power @ states[:, :-step]
    return states


class BlockFilter:
    """One biquad cascade (its :class:`BlockForm`) over a stream of ``(channels, n)`` float32 blocks; every
    output sample returned.

    The same outputs as ``sosfilt`` with its state carried from block to block. A
    block that ends inside a row is answered at once: the row's outputs up to that
    point do not depend on later samples, and the row is computed again, complete,
    with the next block (only its new outputs are returned then).
    """

    def __init__(self, form: BlockForm, channels: int) -> None:
        self._order = form.phi.shape[1]
        self._phi_t = np.ascontiguousarray(form.phi.T)
        self._out = np.concatenate([form.toeplitz, form.psi], axis=0)
        """(BLOCK + order, BLOCK): a row's outputs from [its input, its start state]."""
        self._powers = form.powers
        self._state = np.zeros((channels, self._order), dtype=np.float32)
        """State at the start of the held row (or of the next row when none is held)."""
        self._held = np.zeros((channels, 0), dtype=np.float32)
        """Samples of an incomplete row whose outputs were already returned."""

    def filter(self, x: np.ndarray) -> np.ndarray:
        """Filter the next ``(channels, n)`` samples; returns ``(channels, n)`` float32."""
        x = np.ascontiguousarray(x, dtype=np.float32)
        out = np.empty_like(x)
        pos = 0
        if self._held.shape[1]:  # the row begun in the last call, now with new samples
            held = self._held.shape[1]
            pos = min(x.shape[1], BLOCK - held)
            row = np.concatenate((self._held, x[:, :pos]), axis=1)
            out[:, :pos] = self._short(row)[:, held:]
            if row.shape[1] < BLOCK:
                return out
        complete = (x.shape[1] - pos) // BLOCK
        end = pos + complete * BLOCK
        for c in range(x.shape[0]):
            grid = x[c, pos:end].reshape(complete, BLOCK)
            self._state[c] = self._run(grid, out[c, pos:end].reshape(complete, BLOCK), self._state[c], complete)
        if end < x.shape[1]:
            out[:, end:] = self._short(x[:, end:])
        return out

    def _short(self, row: np.ndarray) -> np.ndarray:
        """Outputs of one row of at most BLOCK samples per channel; the state moves on only if it is complete."""
        width = row.shape[1]
        grid = np.zeros((row.shape[0], 1, BLOCK), dtype=np.float32)
        grid[:, 0, :width] = row
        target = np.empty_like(grid)
        whole = int(width == BLOCK)
        for c in range(row.shape[0]):
            self._state[c] = self._run(grid[c], target[c], self._state[c], whole)
        self._held = row[:, :0] if whole else np.ascontiguousarray(row)
        return target[:, 0, :width]

    def _run(self, grid: np.ndarray, target: np.ndarray, state: np.ndarray, complete: int) -> np.ndarray:
        """Outputs of rows ``grid`` into ``target`` (both (rows, BLOCK)); returns the state to carry."""
        rows = grid.shape[0]
        operands = np.empty((min(CHUNK_ROWS, max(rows, 1)), BLOCK + self._order), dtype=np.float32)
        for first in range(0, rows, CHUNK_ROWS):
            n = min(CHUNK_ROWS, rows - first)
            chunk = grid[first : first + n]
            states = scan_states(state, self._phi_t @ chunk.T, self._powers)
            ops = operands[:n]
            ops[:, :BLOCK] = chunk
            ops[:, BLOCK:] = states[:, :-1].T
            np.matmul(ops, self._out, out=target[first : first + n])
            # the state after these rows, or at the start of the incomplete last row
            state = states[:, min(n, complete - first)].copy()
        return state
