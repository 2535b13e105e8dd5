"""The archetype mastering chain: balance EQ → bus compressor → drive → soft clipper → true-peak limiter.

Like a mastering engineer working to a reference curve, the chain measures the
mix's long-term spectrum and stereo image and sets a smooth, zero-phase EQ (mid,
side and an L/R trim per band) that gives every band (SPEC §4 edges) its target
share of the 20 Hz–20 kHz power and its target width (side / (mid + side) energy)
with even L/R power. The drive into the clipper and limiter is then searched
until a quick BS.1770-4 loudness estimate reaches the target, under a ceiling in
dBTP: the clipper's output is band-limited to 19.5 kHz and the limiter finds its
peaks with 16× band-limited interpolation. Limiting and clipping move the balance
a little, so the master is measured again and the chain re-run with the EQ
corrected by what it missed.

These estimates only steer the synthesiser; the numbers stored with a reference
always come from the real engine (:mod:`analysis`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

import numpy as np
import scipy.fft
from scipy import signal

from amt.config.constants import BANDS
from amt.mastering.limiter import lookahead_limiter, true_peak
from amt.synth.instruments import one_pole


@dataclass(frozen=True)
class MasterSettings:
    """How one archetype is mastered. Levels in LUFS/dBTP, shares and widths 0 … 1, one per band."""

    target_lufs: float
    ceiling_dbtp: float
    band_shares: tuple[float, ...]
    """Target share of the 20 Hz–20 kHz power per band (low … high); normalised before use."""
    band_widths: tuple[float, ...]
    """Target stereo width per band: side / (mid + side) energy."""
    comp_ratio: float = 2.0
    comp_threshold_db: float = 2.0
    """Threshold relative to the programme's mean level, dB."""
    clip_share: float = 0.5
    """Share (0 … 1) of the extra drive taken by the soft clipper rather than the limiter."""


@dataclass(frozen=True)
class MasterReport:
    """What the chain did, from its own quick meters."""

    drive_db: float
    estimated_lufs: float
    true_peak_dbtp: float
    """The master's band-limited peak by the limiter's 16× interpolator, dBTP."""
    eq_db: tuple[float, ...]
    """Balance EQ gain at each band's centre, dB (relative: the drive sets the level)."""
    side_db: tuple[float, ...]
    """Extra side gain at each band's centre, dB."""
    lr_db: tuple[float, ...]
    """L/R trim at each band's centre (gain on L minus gain on R), dB."""
    band_shares: tuple[float, ...]
    band_widths: tuple[float, ...]
    band_correlations: tuple[float, ...]
    """The master's measured balance."""
    passes: int
    iterations: int


# --- tonal and stereo balance ------------------------------------------------------------------

BAND_EDGES_HZ = np.array([BANDS[0].low_hz, *(b.high_hz for b in BANDS)])
_LOG_CENTRES = np.log2(np.sqrt(BAND_EDGES_HZ[:-1] * BAND_EDGES_HZ[1:]))
"""EQ control points: the bands' geometric centres (63, 316, 1000, 3464, 10954 Hz), log2 Hz."""
_SUB_PER_BAND = 24
_SUB_EDGES_HZ = np.concatenate(
    [np.geomspace(lo, hi, _SUB_PER_BAND + 1)[:-1] for lo, hi in pairwise(BAND_EDGES_HZ)] + [BAND_EDGES_HZ[-1:]]
)
_SUB_LOG_CENTRES = np.log2(np.sqrt(_SUB_EDGES_HZ[:-1] * _SUB_EDGES_HZ[1:]))
_SUB_BAND = np.repeat(np.arange(len(BANDS)), _SUB_PER_BAND)
_PAD = 1 << 15
"""Zero padding of the FFT EQ, samples: longer than the EQ's impulse response, so nothing wraps around."""
_HIGHPASS_HZ = 20.0
"""Corner of the EQ's 2nd-order high-pass (rumble, DC), Hz."""
_EQ_LIMIT_DB = 18.0
_SIDE_LIMIT_DB = (-24.0, 12.0)
BALANCE_TOLERANCE_DB = 0.3
"""A pass is re-run while any band's share is further than this from target, dB."""
WIDTH_TOLERANCE = 0.015
MAX_PASSES = 3


@dataclass(frozen=True)
class Balance:
    """Long-term powers per band of a stereo programme, 20 Hz–20 kHz (any common unit).

    With M = (L+R)/2 and S = (L−R)/2: ΣL² = ΣM² + ΣS² + 2ΣMS, ΣR² = ΣM² + ΣS² − 2ΣMS,
    ΣLR = ΣM² − ΣS².
    """

    mid: np.ndarray
    side: np.ndarray
    cross: np.ndarray
    """Σ Re(M·S*): half the L/R power difference."""

    @property
    def shares(self) -> np.ndarray:
        """Each band's share of the power, summing to 1."""
        total = self.mid + self.side
        return total / total.sum()

    @property
    def widths(self) -> np.ndarray:
        """Side / (mid + side) energy per band."""
        return self.side / np.maximum(self.mid + self.side, 1e-30)

    @property
    def correlations(self) -> np.ndarray:
        """ΣLR / √(ΣL² ΣR²) per band."""
        left, right = self.mid + self.side + 2.0 * self.cross, self.mid + self.side - 2.0 * self.cross
        return (self.mid - self.side) / np.sqrt(np.maximum(left * right, 1e-60))

    @property
    def lr_db(self) -> np.ndarray:
        """Power of L over power of R per band, dB."""
        left, right = self.mid + self.side + 2.0 * self.cross, self.mid + self.side - 2.0 * self.cross
        return 10.0 * np.log10(np.maximum(left, 1e-30) / np.maximum(right, 1e-30))


@dataclass(frozen=True)
class _Spectra:
    """Mid and side spectra of a whole programme (zero-padded rfft) and their powers per sub-band."""

    mid: np.ndarray
    side: np.ndarray
    n_fft: int
    frames: int
    sub_mid: np.ndarray
    sub_side: np.ndarray
    sub_cross: np.ndarray

    def balance(self) -> Balance:
        def bands(sub: np.ndarray) -> np.ndarray:
            return np.bincount(_SUB_BAND, sub, minlength=len(BANDS))

        return Balance(mid=bands(self.sub_mid), side=bands(self.sub_side), cross=bands(self.sub_cross))


@lru_cache(maxsize=8)
def _sub_index(n_fft: int, sample_rate: int) -> np.ndarray:
    """Sub-band of every rfft bin (−1 outside 20 Hz–20 kHz)."""
    freqs = scipy.fft.rfftfreq(n_fft, 1.0 / sample_rate)
    idx = np.searchsorted(_SUB_EDGES_HZ, freqs, side="right") - 1
    return np.where((idx >= 0) & (idx < _SUB_LOG_CENTRES.size), idx, -1)


def _spectra(x: np.ndarray, sample_rate: int) -> _Spectra:
    """rfft of M = (L+R)/2 and S = (L−R)/2 over the whole programme, with sub-band powers."""
    frames = x.shape[0]
    n_fft = scipy.fft.next_fast_len(frames + _PAD, real=True)
    # Single precision: the EQ's rounding noise sits ~140 dB down, and the transforms run twice as fast.
    left, right = x[:, 0].astype(np.float32), x[:, 1].astype(np.float32)
    mid = scipy.fft.rfft(np.float32(0.5) * (left + right), n=n_fft)
    side = scipy.fft.rfft(np.float32(0.5) * (left - right), n=n_fft)
    idx = _sub_index(n_fft, sample_rate)
    inside = idx >= 0
    m, sd, k = mid[inside], side[inside], idx[inside]
    n_sub = _SUB_LOG_CENTRES.size
    return _Spectra(
        mid,
        side,
        n_fft,
        frames,
        sub_mid=np.bincount(k, m.real**2 + m.imag**2, minlength=n_sub),
        sub_side=np.bincount(k, sd.real**2 + sd.imag**2, minlength=n_sub),
        sub_cross=np.bincount(k, m.real * sd.real + m.imag * sd.imag, minlength=n_sub),
    )


def balance_of(x: np.ndarray, sample_rate: int) -> Balance:
    """The long-term band balance of a (frames, 2) programme."""
    return _spectra(x, sample_rate).balance()


def _curve(log_f: np.ndarray, gains_db: np.ndarray) -> np.ndarray:
    """Gain curve through the band-centre control points: linear in log frequency, flat beyond the ends."""
    return np.interp(log_f, _LOG_CENTRES, gains_db)


@dataclass(frozen=True)
class BalanceEq:
    """The balance stage's settings at the band centres, dB (curves between them, linear in log frequency)."""

    eq_db: np.ndarray
    """Gain on mid and side."""
    side_db: np.ndarray
    """Extra gain on the side."""
    lr_db: np.ndarray
    """Gain on L minus gain on R (half on each), to even out the bands' L/R power."""


def solve_balance(
    spectra: _Spectra, shares: np.ndarray, correlations: np.ndarray, lr_db: np.ndarray, *, iterations: int = 60
) -> BalanceEq:
    """The balance EQ that gives the programme these band shares, correlations and L/R power ratios.

    A fixed-point iteration on the sub-band powers: each band's gain moves by its
    share error, its side gain by its correlation error (as (1 − c)/(1 + c), the
    side/mid ratio of a balanced band) and its L/R trim by its L/R error; the curves
    between control points couple neighbouring bands, hence the iteration. A band
    whose L and R carry equal power has width (1 − correlation)/2.
    """
    odds = (1.0 - correlations) / (1.0 + correlations)
    g, h, t = np.zeros(len(BANDS)), np.zeros(len(BANDS)), np.zeros(len(BANDS))

    def bands(sub: np.ndarray) -> np.ndarray:
        return np.bincount(_SUB_BAND, sub, minlength=len(BANDS))

    for _ in range(iterations):
        gain = 10.0 ** (_curve(_SUB_LOG_CENTRES, g) / 10.0)
        side_gain = 10.0 ** (_curve(_SUB_LOG_CENTRES, h) / 10.0)
        trim = 10.0 ** (_curve(_SUB_LOG_CENTRES, t) / 20.0)
        power = spectra.sub_mid + side_gain * spectra.sub_side
        cross = 2.0 * np.sqrt(side_gain) * spectra.sub_cross
        left = bands(gain * trim * (power + cross))
        right = bands(gain / trim * (power - cross))
        lr_prod = bands(gain * (spectra.sub_mid - side_gain * spectra.sub_side))
        total = left + right
        corr = np.clip(lr_prod / np.sqrt(np.maximum(left * right, 1e-60)), -0.999, 0.999)
        g += 0.8 * 10.0 * np.log10(shares / (total / total.sum()))
        # Only the curve's shape matters (the drive sets the level): keep it centred on 0 dB.
        g = np.clip(g - g.mean(), -_EQ_LIMIT_DB, _EQ_LIMIT_DB)
        h = np.clip(h + 0.8 * 10.0 * np.log10(odds / ((1.0 - corr) / (1.0 + corr))), *_SIDE_LIMIT_DB)
        t = np.clip(t + 0.8 * (lr_db - 10.0 * np.log10(np.maximum(left, 1e-60) / np.maximum(right, 1e-60))), -6, 6)
    return BalanceEq(eq_db=g, side_db=h, lr_db=t)


def apply_balance(spectra: _Spectra, eq: BalanceEq, sample_rate: int) -> np.ndarray:
    """The programme through the balance EQ (zero phase, in the frequency domain), (frames, 2) float32."""
    freqs = scipy.fft.rfftfreq(spectra.n_fft, 1.0 / sample_rate)
    log_f = np.log2(np.maximum(freqs, 1.0))
    # 2nd-order Butterworth magnitude at 20 Hz: rumble and DC go, as in any mastering chain.
    highpass = 1.0 / np.sqrt(1.0 + (_HIGHPASS_HZ / np.maximum(freqs, 1e-3)) ** 4)
    gain = (10.0 ** (_curve(log_f, eq.eq_db) / 20.0) * highpass).astype(np.float32)
    side = spectra.side * (10.0 ** (_curve(log_f, eq.side_db) / 20.0)).astype(np.float32)
    trim = (10.0 ** (_curve(log_f, eq.lr_db) / 40.0)).astype(np.float32)
    left = scipy.fft.irfft((spectra.mid + side) * (gain * trim), n=spectra.n_fft)[: spectra.frames]
    right = scipy.fft.irfft((spectra.mid - side) * (gain / trim), n=spectra.n_fft)[: spectra.frames]
    return np.stack([left, right], axis=1)


# --- dynamics ---------------------------------------------------------------------------------


def bus_compressor(x: np.ndarray, settings: MasterSettings, sample_rate: int) -> np.ndarray:
    """Linked feed-forward RMS compressor (30 ms detector, 80 ms gain smoothing)."""
    power = one_pole(0.5 * (x[:, 0] ** 2 + x[:, 1] ** 2), 0.03, sample_rate)
    level_db = 10.0 * np.log10(power + 1e-12)
    mean_db = 10.0 * np.log10(np.mean(x**2) + 1e-12)
    over = np.maximum(level_db - (mean_db + settings.comp_threshold_db), 0.0)
    gain_db = one_pole(-over * (1.0 - 1.0 / settings.comp_ratio), 0.08, sample_rate)
    return x * (10.0 ** (gain_db / 20.0))[:, None]


def soft_clip(x: np.ndarray, threshold: float) -> np.ndarray:
    """tanh clipper: linear well below ``threshold`` (linear amplitude), never above it."""
    return threshold * np.tanh(x / threshold)


TOP_HZ = 19500.0
"""Content above this goes before the limiter (capped at 0.44·fs): the 16× interpolator, like any
true-peak meter with a finite filter, is exact only for content up to ~0.45·fs, and the clipper
and the hats put energy right up to Nyquist."""


@lru_cache(maxsize=4)
def _top_sos(sample_rate: int) -> np.ndarray:
    """Elliptic low-pass (8th order, 0.05 dB ripple, 80 dB stop) at :data:`TOP_HZ`."""
    return signal.ellip(8, 0.05, 80.0, min(TOP_HZ, 0.44 * sample_rate), fs=sample_rate, output="sos")


def band_limit(x: np.ndarray, sample_rate: int) -> np.ndarray:
    """The programme without content above :data:`TOP_HZ` (float32 in, float32 out)."""
    return signal.sosfilt(_top_sos(sample_rate).astype(x.dtype), x, axis=0)


# --- loudness estimate (BS.1770-4), only to steer the drive ---------------------------------------


def _k_weighting(sample_rate: int) -> np.ndarray:
    """BS.1770-4 K-weighting re-derived for any rate (pre-filter shelf + RLB high-pass), as SOS."""
    f0, g, q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
    k = np.tan(np.pi * f0 / sample_rate)
    vh = 10.0 ** (g / 20.0)
    vb = vh**0.4996667741545416
    a0 = 1.0 + k / q + k * k
    shelf = [
        (vh + vb * k / q + k * k) / a0,
        2.0 * (k * k - vh) / a0,
        (vh - vb * k / q + k * k) / a0,
        1.0,
        2.0 * (k * k - 1.0) / a0,
        (1.0 - k / q + k * k) / a0,
    ]
    f0, q = 38.13547087602444, 0.5003270373238773
    k = np.tan(np.pi * f0 / sample_rate)
    a0 = 1.0 + k / q + k * k
    hp = [1.0, -2.0, 1.0, 1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0]
    return np.array([shelf, hp])


def quick_lufs(x: np.ndarray, sample_rate: int) -> float:
    """Gated integrated loudness of a stereo programme (BS.1770-4 method), LUFS."""
    y = signal.sosfilt(_k_weighting(sample_rate), x, axis=0)
    seg = int(0.1 * sample_rate)
    n_seg = y.shape[0] // seg
    ms = np.sum(np.mean((y[: n_seg * seg] ** 2).reshape(n_seg, seg, -1), axis=1), axis=1)
    if n_seg < 4:
        return float("-inf")
    blocks = np.convolve(ms, np.ones(4) / 4.0, mode="valid")
    lk = -0.691 + 10.0 * np.log10(blocks + 1e-20)
    gated = blocks[lk > -70.0]
    if not gated.size:
        return float("-inf")
    rel = -0.691 + 10.0 * np.log10(np.mean(gated)) - 10.0
    gated = blocks[(lk > -70.0) & (lk > rel)]
    return float(-0.691 + 10.0 * np.log10(np.mean(gated)))


def _search_excerpt(x: np.ndarray, sample_rate: int) -> np.ndarray:
    """Every third second of the programme, joined: where the drive search runs (the limiter is local)."""
    chunk = sample_rate
    n_chunks = x.shape[0] // chunk
    if n_chunks < 12:
        return x
    keep = np.arange(0, n_chunks, 3)
    return x[: n_chunks * chunk].reshape(n_chunks, chunk, -1)[keep].reshape(-1, x.shape[1])


@dataclass(frozen=True)
class _Dynamics:
    out: np.ndarray
    drive_db: float
    slope: float
    """Loudness change per dB of drive near ``drive_db``."""
    lufs: float
    iterations: int


def _drive(
    x: np.ndarray, settings: MasterSettings, sample_rate: int, start: _Dynamics | None, *, precise: bool
) -> _Dynamics:
    """Compressor, then the drive into clipper and limiter that meets the loudness target.

    Without a ``start`` the drive is searched (secant steps on the loudness estimate,
    4× limiter) on an excerpt of every third second; with one (a previous pass on a
    slightly different EQ) its drive is the first guess. The drive is then applied to
    the whole programme (limiter ``precise`` or not) and corrected once if the whole
    reads more than 0.05 LU off.
    """
    x = bus_compressor(x, settings, sample_rate)
    # From here on float32: the limiter passes are memory-bound and the output is float32 anyway.
    x = (x / (np.max(np.abs(x)) + 1e-12)).astype(np.float32)
    ceiling = 10.0 ** (settings.ceiling_dbtp / 20.0)
    base_lufs = quick_lufs(x, sample_rate)

    def render(src: np.ndarray, drive_db: float, fine: bool = False) -> np.ndarray:
        g = np.float32(10.0 ** (drive_db / 20.0))
        # The clipper takes part of the overs (threshold above the ceiling), the limiter the rest.
        excess_db = max(drive_db + base_lufs - settings.target_lufs, 0.0)
        clip_at = np.float32(ceiling * 10.0 ** ((1.0 - settings.clip_share) * excess_db / 20.0 + 0.05))
        clipped = band_limit(soft_clip(src * g, float(clip_at)), sample_rate)
        return lookahead_limiter(clipped, ceiling, sample_rate, precise=fine)

    if start is None:
        excerpt = _search_excerpt(x, sample_rate)
        drive = settings.target_lufs - base_lufs
        lufs = quick_lufs(render(excerpt, drive), sample_rate)
        slope, it = 0.5, 1
        while abs(lufs - settings.target_lufs) > 0.03 and it < 8:
            step = float(np.clip((settings.target_lufs - lufs) / slope, -12.0, 12.0))
            new_lufs = quick_lufs(render(excerpt, drive + step), sample_rate)
            if new_lufs != lufs:
                slope = float(np.clip((new_lufs - lufs) / step, 0.1, 1.5))
            drive, lufs, it = drive + step, new_lufs, it + 1
    else:
        drive, slope, it = start.drive_db, start.slope, 0
    out = render(x, drive, precise)
    lufs = quick_lufs(out, sample_rate)
    if abs(lufs - settings.target_lufs) > 0.05:
        drive += float(np.clip((settings.target_lufs - lufs) / slope, -3.0, 3.0))
        out = render(x, drive, precise)
        lufs = quick_lufs(out, sample_rate)
        it += 1
    return _Dynamics(out=out, drive_db=drive, slope=slope, lufs=lufs, iterations=it + 1)


def master(mix: np.ndarray, settings: MasterSettings, sample_rate: int) -> tuple[np.ndarray, MasterReport]:
    """Master a (frames, 2) mix to the settings' balance and loudness under their true-peak ceiling.

    Each pass (at most :data:`MAX_PASSES`) sets the balance EQ, drives the dynamics
    and measures the result; the EQ of the next pass aims off-target by what the
    dynamics moved. The first pass searches the drive with a 4× limiter; the later
    ones start from its drive and limit with 16× true-peak detection. A band's width
    target is met as an even L/R power and a correlation of 1 − 2·width, so width and
    correlation agree as they do in a balanced master.
    """
    shares = np.asarray(settings.band_shares, dtype=np.float64)
    shares = shares / shares.sum()
    widths = np.clip(np.asarray(settings.band_widths, dtype=np.float64), 1e-4, 0.9)
    corr = 1.0 - 2.0 * widths
    spectra = _spectra(mix, sample_rate)
    aim_shares, aim_corr, aim_lr = shares, corr, np.zeros(len(BANDS))
    dyn: _Dynamics | None = None
    iterations = 0
    for passes in range(1, MAX_PASSES + 1):
        eq = solve_balance(spectra, aim_shares, aim_corr, aim_lr)
        dyn = _drive(apply_balance(spectra, eq, sample_rate), settings, sample_rate, dyn, precise=passes > 1)
        iterations += dyn.iterations
        got = balance_of(dyn.out, sample_rate)
        share_err_db = np.abs(10.0 * np.log10(shares / got.shares)).max()
        close = share_err_db <= BALANCE_TOLERANCE_DB and np.abs(got.widths - widths).max() <= WIDTH_TOLERANCE
        if passes > 1 and (close or passes == MAX_PASSES):
            break
        # What the dynamics moved, the next pass's EQ pre-empts.
        aim_shares = aim_shares * shares / got.shares
        aim_shares = aim_shares / aim_shares.sum()
        aim_corr = np.clip(aim_corr + corr - got.correlations, -0.95, 0.999)
        aim_lr = np.clip(aim_lr - got.lr_db, -6.0, 6.0)
    assert dyn is not None
    out = dyn.out
    ceiling = 10.0 ** (settings.ceiling_dbtp / 20.0)
    peak = true_peak(out, ceiling)
    peak_fixed = peak > ceiling
    if peak_fixed:
        # Final true-peak safety: the clip of the last stage or float rounding may leave a sliver over.
        out = lookahead_limiter(out, ceiling, sample_rate)
        peak = true_peak(out, ceiling)
    final = balance_of(out, sample_rate) if peak_fixed else got
    return out, MasterReport(
        drive_db=dyn.drive_db,
        estimated_lufs=dyn.lufs,
        true_peak_dbtp=float(20.0 * np.log10(max(peak, 1e-12))),
        eq_db=tuple(float(v) for v in eq.eq_db),
        side_db=tuple(float(v) for v in eq.side_db),
        lr_db=tuple(float(v) for v in eq.lr_db),
        band_shares=tuple(float(v) for v in final.shares),
        band_widths=tuple(float(v) for v in final.widths),
        band_correlations=tuple(float(v) for v in final.correlations),
        passes=passes,
        iterations=iterations,
    )
