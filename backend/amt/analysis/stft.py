"""Streaming framing, short-time spectra and decimation for the spectral meter.

Blocks arrive as ``(channels, frames)`` float32 arrays (the meter transposes the
engine's ``(frames, channels)`` blocks once). Everything here keeps only the
few samples a frame or filter needs across a block edge.

Frames use the sine window ``w[n] = sin(π(n+½)/N)`` at hop ``N/2``: ``w²``
overlapped at that hop sums to exactly 1, so the frame powers of a signal add up
to its energy (Parseval) and every sample weighs the same in the long-term
spectrum — the "energy-weighted over time" of SPEC §4.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.fft
import scipy.signal


def sine_window(n_fft: int) -> np.ndarray:
    """Sine window of ``n_fft`` samples, float32, shape ``(n_fft,)``."""
    return np.sin(np.pi * (np.arange(n_fft) + 0.5) / n_fft).astype(np.float32)


def parseval_weights(n_fft: int) -> np.ndarray:
    """Weights ``c_k / N`` that turn one-sided ``|X_k|²`` into energy: Σ c_k|X_k|²/N = Σ (w·x)².

    Shape ``(n_fft // 2 + 1,)``, float64; DC and Nyquist count once, other bins twice.
    """
    c = np.full(n_fft // 2 + 1, 2.0)
    c[0] = 1.0
    c[-1] = 1.0
    return c / n_fft


def power_spectra(frames: np.ndarray, window: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Complex spectra and ``|X|²`` of windowed frames.

    ``frames`` (..., N) float32 → spectra (..., N/2+1) complex64 and powers of the same shape, float32.
    """
    spectra = scipy.fft.rfft(frames * window, axis=-1)
    power = np.abs(spectra)
    np.square(power, out=power)  # |X|² via abs: half the passes of re² + im²
    return spectra, power


@dataclass(frozen=True)
class FrameBatch:
    """The complete frames one block made available.

    ``frames`` is a view, shape ``(channels, count, n_fft)``; frame ``first + i`` starts at
    input sample ``(first + i) · hop − lead`` (with the default lead and hop of
    :class:`FrameStream`, it is centred on input sample ``(first + i) · hop``).
    """

    frames: np.ndarray
    first: int

    @property
    def count(self) -> int:
        """Number of frames in the batch."""
        return int(self.frames.shape[1])


class FrameStream:
    """Cuts consecutive ``(channels, n)`` float32 blocks into frames of ``n_fft`` at ``hop``, after ``lead`` zeros.

    By default hop and lead are ``n_fft/2``: every input sample, the first included, then
    lies under two frames whose squared sine windows sum to 1. Only the samples of frames
    not yet complete are kept between blocks.
    """

    def __init__(self, channels: int, n_fft: int, *, hop: int | None = None, lead: int | None = None) -> None:
        self.n_fft = n_fft
        self.hop = n_fft // 2 if hop is None else hop
        self.lead = n_fft // 2 if lead is None else lead
        self._buf = np.zeros((channels, self.lead), dtype=np.float32)
        self._next_frame = 0
        self._seen = 0

    def push(self, block: np.ndarray) -> FrameBatch:
        """Add ``(channels, n)`` samples; return every frame that is now complete."""
        self._seen += block.shape[1]
        return self._push(block)

    def flush(self) -> FrameBatch:
        """Pad with zeros until every frame holding an input sample is complete; return those frames.

        With the defaults: until every input sample lies under its two frames.
        """
        stream_len = self.lead + self._seen  # the stream includes the leading zeros
        last_end = ((stream_len - 1) // self.hop) * self.hop + self.n_fft
        return self._push(np.zeros((self._buf.shape[0], max(0, last_end - stream_len)), dtype=np.float32))

    def _push(self, block: np.ndarray) -> FrameBatch:
        if not self._buf.shape[1]:
            buf = block
        elif not block.shape[1]:
            buf = self._buf
        else:
            buf = np.concatenate([self._buf, block], axis=1)
        avail = buf.shape[1]
        count = (avail - self.n_fft) // self.hop + 1 if avail >= self.n_fft else 0
        if count:
            span = buf[:, : (count - 1) * self.hop + self.n_fft]
            frames = np.lib.stride_tricks.sliding_window_view(span, self.n_fft, axis=1)[:, :: self.hop]
        else:
            frames = np.zeros((buf.shape[0], 0, self.n_fft), dtype=np.float32)
        batch = FrameBatch(frames=frames, first=self._next_frame)
        self._buf = buf[:, count * self.hop :].copy()  # at most one frame; the block itself is not held
        self._next_frame += count
        return batch


DECIMATOR_TAPS_PER_PHASE = 10
"""FIR length is this many times the decimation factor (Kaiser β = 8, cut-off at the new Nyquist)."""


def decimation_factor(sample_rate: int, min_rate_hz: float = 4000.0) -> int:
    """Largest power of two D with ``sample_rate / D ≥ min_rate_hz`` (1 for very low rates)."""
    factor = 1
    while sample_rate / (factor * 2) >= min_rate_hz:
        factor *= 2
    return factor


class FirDecimator:
    """Low-pass and keep every D-th sample of ``(channels, n)`` float32 blocks.

    Kaiser-windowed sinc of ``10·D`` taps (transition ≈ 5·fs/taps = fs/(2D)), cut-off at the
    new Nyquist: flat to ±0.001 dB up to 0.25·fs/D (≥ 1 kHz, as the output rate is ≥ 4 kHz)
    and ≥ 80 dB down from 0.75·fs/D, so nothing aliases below 0.25·fs/D.
    Polyphase form: one small matmul per block, so it costs less than a copy of the
    input. Output sample m is the filter output at input time ``m·D + D − 1`` and the
    filter delays by ``(10·D − 1)/2`` input samples.
    """

    def __init__(self, channels: int, factor: int) -> None:
        self.factor = factor
        taps = DECIMATOR_TAPS_PER_PHASE * factor
        if factor == 1:
            h = np.zeros(taps)
            h[taps // 2] = 1.0
        else:
            h = scipy.signal.firwin(taps, 1.0 / factor, window=("kaiser", 8.0))
        k = DECIMATOR_TAPS_PER_PHASE
        # column p holds phase p reversed: z[p, m] = Σ_j x[mD + j] · h[pD + D − 1 − j]
        phases = np.stack([h[p * factor : (p + 1) * factor][::-1] for p in range(k)], axis=1)
        self._phases_t = np.ascontiguousarray(phases.T, dtype=np.float32)
        self._rest = np.zeros((channels, 0), dtype=np.float32)
        self._zprev = np.zeros((k, channels, k - 1), dtype=np.float32)  # last k − 1 columns of z
        self.taps = taps

    def push(self, block: np.ndarray) -> np.ndarray:
        """Filter and decimate ``(channels, n)``; returns ``(channels, m)`` float32."""
        x = np.concatenate([self._rest, block], axis=1) if self._rest.shape[1] else block
        rows = x.shape[1] // self.factor
        self._rest = np.ascontiguousarray(x[:, rows * self.factor :])
        if rows == 0:
            return np.zeros((x.shape[0], 0), dtype=np.float32)
        grid = np.ascontiguousarray(x[:, : rows * self.factor]).reshape(x.shape[0] * rows, self.factor)
        # z[p, c, m] = phase p applied to row m; this orientation lets BLAS use a fast kernel
        z = (self._phases_t @ grid.T).reshape(-1, x.shape[0], rows)
        # y[m] = Σ_p z[p, m − p]; rows before this block come from the previous block's z
        y = z[0].copy()
        k = self._phases_t.shape[0]
        for p in range(1, k):
            head = min(p, rows)
            if p < rows:
                y[:, p:] += z[p, :, : rows - p]
            y[:, :head] += self._zprev[p, :, k - 1 - p : k - 1 - p + head]
        if rows >= k - 1:
            self._zprev = z[:, :, rows - (k - 1) :].copy()
        else:  # a tiny block: shift the kept columns along
            self._zprev = np.concatenate([self._zprev, z], axis=2)[:, :, -(k - 1) :]
        returned: np.ndarray = y
        return returned

    def flush(self) -> np.ndarray:
        """Push zeros through so the filter's tail (and any remainder) comes out."""
        pad = self.taps + (-self._rest.shape[1]) % self.factor
        return self.push(np.zeros((self._rest.shape[0], pad), dtype=np.float32))
