"""The spectral half of the engine: spectrum, bands, transients, harmonics (SPEC §4).

:class:`SpectralMeter` reads the engine's float32 ``(frames, channels)`` blocks once,
in order, keeping compact state, and :meth:`SpectralMeter.finish` returns a
:class:`SpectralSummary`.

Channel pooling. Levels and spectra use every channel but the LFE: power spectra,
band powers and mean squares are the *mean over those channels* (so a mono file and
the same signal on two channels read the same, and a full-scale sine reads −3.01
dBFS); band peaks and the transient envelope take the *maximum* over them. Stereo
figures use ``layout.stereo_pair`` (mono: the channel with itself, width 0,
correlation 1).

Two resolutions, each what its figures need:

* the *full-rate* STFT — sine window of ≈ 23 ms (1024 samples at 44.1 kHz, scaled
  with the rate), hop ½ frame (≈ 11.6 ms) — gives the spectrum above 1 kHz, the
  spectral flux and onsets (and the flux of its bins up to 150 Hz, which the tempo
  also reads), and the band powers of ``mid``, ``high_mid`` and ``high``;
* the *low* path — the signal decimated by a power of two to 4–8 kHz (Kaiser FIR),
  a 4096-point STFT (≈ 1–2 Hz bins) — gives the spectrum below 400 Hz (1/6-octave
  bins at 20 Hz are 2.3 Hz wide; 400 Hz–1 kHz is a blend, see :data:`BLEND_LOW_HZ`)
  and sub-20 Hz energy.

The sine window at hop ½ frame makes the frame powers add up to the signal energy,
so the long-term spectrum weighs every sample equally, and the band power of a frame
weighted by the LR4 band filter's |H(f)|² is the energy of the band signal in that
frame (Parseval): band levels of the three upper bands come from there.

Band signals. Every band's LR4 filter runs at the file's rate on every sample
(:class:`analysis.bands.BandSignals`: the recursion advanced 32 samples at a time by
one matrix product for all five bands, exact to float32 rounding, ≈ 1e-6 dB), and a
band's ``peak_db`` is the largest |sample| of its band signal over the channels. The
``low`` and ``low_mid`` levels come from every D-th sample of their band signal (the
low path's rate; ×D gives the energy, exact for a signal band-limited below that
rate's Nyquist, and these have no content to speak of above 1–2 kHz).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, fields, replace
from itertools import pairwise

import numpy as np

from amt.analysis.audibility import inaudible_bands
from amt.analysis.bands import (
    SILENCE_POWER,
    BandSignals,
    SpectrumGrid,
    join_grids,
    level_range_db,
    lr4_sos,
    power_db,
    segment_levels,
    sos_power_response,
    spectral_shape,
    stereo_image,
    uniform_grid,
)
from amt.analysis.blockiir import BlockForm
from amt.analysis.harmonics import HarmonicMeter
from amt.analysis.result import SEGMENT_S, BandMetrics, SpectralMetrics, StreamLayout
from amt.analysis.stft import FirDecimator, FrameBatch, FrameStream, decimation_factor, parseval_weights, power_spectra
from amt.analysis.stft import sine_window as make_sine_window
from amt.analysis.transients import PULSE_LOW_HZ, transient_summary
from amt.config.constants import BANDS, SPECTRUM_BINS_PER_OCTAVE, SPECTRUM_HIGH_HZ, SPECTRUM_LOW_HZ

HI_FRAME_S = 1024 / 44100
"""Full-rate STFT frame (sine window), hop half of it."""
BLEND_LOW_HZ = 400.0
BLEND_HIGH_HZ = 1000.0
"""The long-term spectrum comes from the decimated path below 400 Hz, from the full-rate
STFT above ≈ 1 kHz, and in between from both, weighted linearly. A hard split would
count a tone near it twice or half (the full-rate window smears it over ± 65 Hz); with
a ramp much wider than that smear, the power of any tone adds up to what it is."""
LOW_BAND_MAX_HZ = 500.0
"""Bands ending at or below this (low, low_mid) keep every D-th band-signal sample (D: the low path's factor)."""
LOW_RATE_MIN_HZ = 4000.0
"""The low path runs at fs / 2^k, the lowest such rate ≥ this."""
LOW_FFT = 4096
SPECTRUM_BINS = 60
BAND_RMS_HOP_S = 1.0
"""band_rms_db: one value per second (10 segments), the same seconds as the loudness series."""
LEVEL_RANGE_WINDOW_S = 3.0
ENVELOPE_STEP_S = 1e-3


@dataclass(frozen=True)
class SpectralSummary(SpectralMetrics):
    """What the spectral meter hands to the engine: the :class:`SpectralMetrics` fields, bands and series."""

    bands: tuple[BandMetrics, ...]
    spectrum_freqs_hz: list[float]
    spectrum_db: list[float | None]
    band_rms_db: dict[str, list[float | None]]
    band_rms_hop_s: float

    def overall_fields(self) -> dict[str, object]:
        """The ``OverallMetrics`` fields this meter owns."""
        return {f.name: getattr(self, f.name) for f in fields(SpectralMetrics)}


def spectrum_edges_hz() -> np.ndarray:
    """Edges of the 1/6-octave series, 20·2^(k/6) Hz, k = 0 … 60 (shape (61,))."""
    return SPECTRUM_LOW_HZ * 2.0 ** (np.arange(SPECTRUM_BINS + 1) / SPECTRUM_BINS_PER_OCTAVE)


def _channel_mean(power: np.ndarray) -> np.ndarray:
    """Mean over the first axis (channels) of ``power`` (channels, frames, bins), float32."""
    pooled = power[0].copy()
    for c in range(1, power.shape[0]):
        pooled += power[c]
    if power.shape[0] > 1:
        pooled *= np.float32(1.0 / power.shape[0])
    returned: np.ndarray = pooled
    return returned


def _frame_sums(power: np.ndarray) -> np.ndarray:
    """Σ over frames of ``power`` (channels, frames, bins) → (channels, bins) float64.

    Summed in float32 by BLAS (a few thousand frames a block: ~1e-6 relative), then
    accumulated over blocks in float64.
    """
    returned: np.ndarray = (np.ones(power.shape[1], dtype=np.float32) @ power).astype(np.float64)
    return returned


def hi_fft_size(sample_rate: int) -> int:
    """Frame of the full-rate STFT: the power of two nearest :data:`HI_FRAME_S` (at least 128 samples)."""
    returned: int = 1 << max(7, round(np.log2(HI_FRAME_S * sample_rate)))
    return returned


@dataclass(frozen=True)
class _BandDesign:
    """The band filters at one rate, as the meter uses them (arrays read-only: shared by every meter)."""

    forms: tuple[BlockForm, ...]
    """Block form of each band's LR4 filter, for the bands below Nyquist, in :data:`BANDS` order."""
    upper_weights: np.ndarray
    """(n_hi/2 + 1, bands) float32: Parseval weight × |H(f)|² of each present band above LOW_BAND_MAX_HZ, per
    full-rate STFT bin (a frame's power times it is the energy of the band signal in that frame)."""


@functools.lru_cache(maxsize=16)
def _band_design(sample_rate: int) -> _BandDesign:
    """:class:`_BandDesign` at ``sample_rate``, built once per rate (≈ 12 ms: five balanced realisations)."""
    present = [band for band in BANDS if band.low_hz < sample_rate / 2]
    sos = [lr4_sos(band.low_hz, band.high_hz, sample_rate) for band in present]
    n_hi = hi_fft_size(sample_rate)
    freqs = np.fft.rfftfreq(n_hi, 1 / sample_rate)
    weights = parseval_weights(n_hi)
    upper = [weights * sos_power_response(s, freqs, sample_rate)
             for band, s in zip(present, sos, strict=True) if band.high_hz > LOW_BAND_MAX_HZ]  # fmt: skip
    upper_weights = np.stack(upper, axis=1).astype(np.float32) if upper else np.zeros((freqs.size, 0), np.float32)
    upper_weights.setflags(write=False)
    return _BandDesign(tuple(BlockForm.build(s) for s in sos), upper_weights)


@dataclass
class _BandState:
    """Running state of one band's level and peak."""

    name: str
    low_hz: float
    high_hz: float
    present: bool
    sampled: bool
    """Levels from every D-th band-signal sample (low, low_mid), not from the full-rate STFT."""
    segment_energy: np.ndarray
    peak: float = 0.0


class SpectralMeter:
    """Streaming spectral meter; see the module docstring for what it measures and how."""

    def __init__(self, layout: StreamLayout, *, harmonic_excerpts: int = 6, harmonic_excerpt_s: float = 5.0) -> None:
        self.layout = layout
        fs = layout.sample_rate
        self.fs = fs
        self.nyquist = fs / 2
        self.channels = [c for c in range(layout.channels) if c != layout.lfe_index]
        left, right = layout.stereo_pair
        self._pair = (self.channels.index(left), self.channels.index(right))
        n_ch = len(self.channels)
        self._seen = 0

        # full-rate STFT
        self.n_hi = hi_fft_size(fs)
        self._hi = FrameStream(n_ch, self.n_hi)
        self._hi_window = make_sine_window(self.n_hi)
        df = fs / self.n_hi
        self._flux_lo = int(np.ceil(SPECTRUM_LOW_HZ / df))
        self._flux_hi = min(int(SPECTRUM_HIGH_HZ / df), self.n_hi // 2) + 1
        self._pulse_bins = max(1, int(PULSE_LOW_HZ / df) + 1 - self._flux_lo)
        """The first this many flux bins (20 … PULSE_LOW_HZ) also give the low-band flux the tempo reads."""
        k_bins = self.n_hi // 2 + 1
        self._hi_sum = np.zeros(k_bins)
        self._hi_stereo = np.zeros((3, k_bins))  # ΣL², ΣR², ΣLR per bin
        self._prev_mag: np.ndarray | None = None
        self._flux: list[np.ndarray] = []
        self._magsum: list[np.ndarray] = []
        self._flux_low: list[np.ndarray] = []
        self._magsum_low: list[np.ndarray] = []

        # low path
        self.decimation = decimation_factor(fs, LOW_RATE_MIN_HZ)
        self.fs_low = fs / self.decimation
        self._dec = FirDecimator(n_ch, self.decimation)
        self._lo = FrameStream(n_ch, LOW_FFT)
        self._lo_window = make_sine_window(LOW_FFT)
        self._lo_bins = int(np.ceil((BLEND_HIGH_HZ + fs / self.n_hi) / (self.fs_low / LOW_FFT))) + 2
        self._lo_sum = np.zeros(self._lo_bins)
        self._lo_stereo = np.zeros((3, self._lo_bins))

        # bands: energy per 100 ms segment, on the same exact boundaries as the loudness meter
        self.n_segments = layout.segment_count
        self._bands: list[_BandState] = []
        for band in BANDS:
            present = band.low_hz < self.nyquist
            sampled = band.high_hz <= LOW_BAND_MAX_HZ
            segments = np.zeros(self.n_segments)
            self._bands.append(_BandState(band.name, band.low_hz, band.high_hz, present, sampled, segments))
        self._filtered = [b for b in self._bands if b.present]
        design = _band_design(fs)
        self._band_signals = BandSignals(
            list(design.forms), [self.decimation if b.sampled else None for b in self._filtered], n_ch
        )
        self._sampled_seen = 0
        """Band-signal samples kept so far by each sampled band (they all keep the same ones)."""
        self._upper = [b for b in self._bands if b.present and not b.sampled]
        self._upper_weights = design.upper_weights

        # 1 ms envelope
        self._env_step = max(1, round(ENVELOPE_STEP_S * fs))
        self._env_rest = np.zeros((n_ch, 0), dtype=np.float32)
        self._env_peak: list[np.ndarray] = []
        self._env_ms: list[np.ndarray] = []

        self._harmonics = HarmonicMeter(layout.total_frames, fs, count=harmonic_excerpts, excerpt_s=harmonic_excerpt_s)

    # ------------------------------------------------------------------ streaming

    def update(self, block: np.ndarray) -> None:
        """Read the next ``(frames, channels)`` float32 block."""
        # one copy: the channel-major block (a channel subset only when there is an LFE to leave out)
        picked = block if len(self.channels) == block.shape[1] else block[:, self.channels]
        x = np.ascontiguousarray(picked.T, dtype=np.float32)
        offset = self._seen
        self._seen += x.shape[1]
        self._hi_frames(self._hi.push(x))
        self._low_samples(self._dec.push(x))
        self._band_samples(self._band_signals.push(x))
        self._envelope(x)
        self._harmonics.update(x, offset)

    def _hi_frames(self, batch: FrameBatch) -> None:
        if batch.count == 0:
            return
        spectra, power = power_spectra(batch.frames, self._hi_window)
        pooled = _channel_mean(power)
        per_channel = _frame_sums(power)
        self._hi_sum += per_channel.mean(axis=0)
        self._add_stereo(self._hi_stereo, spectra, per_channel)

        mag = np.sqrt(pooled[:, self._flux_lo : self._flux_hi])
        prev = mag[:1] if self._prev_mag is None else self._prev_mag
        rise = np.empty_like(mag)
        np.subtract(mag[:1], prev, out=rise[:1])
        np.subtract(mag[1:], mag[:-1], out=rise[1:])
        np.maximum(rise, 0.0, out=rise)
        self._flux.append(rise.sum(axis=1).astype(np.float64))
        self._magsum.append(mag.sum(axis=1).astype(np.float64))
        self._flux_low.append(rise[:, : self._pulse_bins].sum(axis=1).astype(np.float64))
        self._magsum_low.append(mag[:, : self._pulse_bins].sum(axis=1).astype(np.float64))
        self._prev_mag = mag[-1:].copy()

        if not self._upper:
            return
        energy = power @ self._upper_weights  # (channels, frames, bands): energy of the band signal per frame
        # a frame's energy goes to the segment of its centre sample (flushed frames past the end: the last one)
        centres = (batch.first + np.arange(batch.count)) * self._hi.hop
        segment = np.minimum(self.layout.segment_of(centres), self.n_segments - 1)
        pooled_energy = energy.mean(axis=0, dtype=np.float64)
        for j, band in enumerate(self._upper):
            band.segment_energy += np.bincount(segment, pooled_energy[:, j], minlength=self.n_segments)

    def _low_samples(self, y: np.ndarray) -> None:
        if y.shape[1]:
            self._low_frames(self._lo.push(y))

    def _band_samples(self, outputs: list[np.ndarray]) -> None:
        """Levels of the sampled bands from their kept band-signal samples."""
        kept = [(band, out) for band, out in zip(self._filtered, outputs, strict=True) if band.sampled]
        if not kept or kept[0][1].shape[1] == 0:
            return
        count = kept[0][1].shape[1]
        # kept sample m is band-signal sample m·D; ×D turns the sum of squares into the signal's energy
        t = (self._sampled_seen + np.arange(count)) * self.decimation
        self._sampled_seen += count
        segment = np.minimum(self.layout.segment_of(t), self.n_segments - 1)
        for band, out in kept:
            energy = np.einsum("cm,cm->m", out, out, dtype=np.float64) * (self.decimation / out.shape[0])
            band.segment_energy += np.bincount(segment, energy, minlength=self.n_segments)

    def _low_frames(self, batch: FrameBatch) -> None:
        if batch.count == 0:
            return
        spectra, power = power_spectra(batch.frames, self._lo_window)
        spectra = spectra[..., : self._lo_bins]
        per_channel = _frame_sums(power[..., : self._lo_bins])
        self._lo_sum += per_channel.mean(axis=0)
        self._add_stereo(self._lo_stereo, spectra, per_channel)

    def _add_stereo(self, sums: np.ndarray, spectra: np.ndarray, per_channel: np.ndarray) -> None:
        """Add ΣL², ΣR², ΣRe(L·R*) per bin over the frames to ``sums`` (3, bins); ``per_channel``: Σ|X|² per channel."""
        il, ir = self._pair
        sums[0] += per_channel[il]
        sums[1] += per_channel[ir]
        if il == ir:
            sums[2] += per_channel[il]
        else:
            # Re(L·R*) = Lre·Rre + Lim·Rim: one product of the float views, summed over frames by BLAS.
            product = spectra[il].view(np.float32) * spectra[ir].view(np.float32)
            pairs = (np.ones(product.shape[0], dtype=np.float32) @ product).astype(np.float64)
            sums[2] += pairs[0::2] + pairs[1::2]

    def _envelope(self, x: np.ndarray, final: bool = False) -> None:
        if self._env_rest.shape[1]:
            x = np.concatenate([self._env_rest, x], axis=1)
        step = self._env_step
        whole = x.shape[1] // step
        if final and x.shape[1] > whole * step:
            x = np.pad(x, ((0, 0), (0, step - (x.shape[1] - whole * step))))
            whole += 1
        self._env_rest = np.ascontiguousarray(x[:, whole * step :])
        if whole == 0:
            return
        grid = x[:, : whole * step].reshape(x.shape[0], whole, step)
        loudest = np.abs(x[0, : whole * step])  # max over channels first: half the short reductions
        for c in range(1, x.shape[0]):
            np.maximum(loudest, np.abs(x[c, : whole * step]), out=loudest)
        self._env_peak.append(loudest.reshape(whole, step).max(axis=1))
        # float32: two hours of 1 ms steps stay under 60 MB for both envelopes
        self._env_ms.append(np.einsum("cms,cms->m", grid, grid) / np.float32(x.shape[0] * step))

    # ------------------------------------------------------------------ results

    def finish(self) -> SpectralSummary:
        """Flush the streams and compute every figure."""
        self._hi_frames(self._hi.flush())
        self._low_samples(self._dec.flush())
        self._low_frames(self._lo.flush())
        self._band_samples(self._band_signals.flush())
        for band, peak in zip(self._filtered, self._band_signals.peaks, strict=True):
            band.peak = peak
        self._envelope(np.zeros((len(self.channels), 0), dtype=np.float32), final=True)

        total = self.layout.total_frames
        grid, power, stereo = self._long_term_spectrum()
        fmax = min(SPECTRUM_HIGH_HZ, self.nyquist)
        whole = float(grid.integrate(power, 0.0, self.nyquist))
        silent = whole <= SILENCE_POWER
        shape = spectral_shape(grid, power, SPECTRUM_LOW_HZ, fmax)
        sub20 = None if silent else float(np.clip(grid.integrate(power, 0.0, SPECTRUM_LOW_HZ) / whole, 0.0, 1.0))

        in_range = float(grid.integrate(power, SPECTRUM_LOW_HZ, fmax))
        segment_edges = np.minimum(self.layout.segment_start(np.arange(self.n_segments + 1)), total)
        seg_frames = np.diff(segment_edges).astype(np.float64)
        # 10 and 30 exact segments: windows of exactly 1 s and 3 s, aligned with the loudness series
        per_second = round(BAND_RMS_HOP_S / SEGMENT_S)
        per_window = round(LEVEL_RANGE_WINDOW_S / SEGMENT_S)
        bands: list[BandMetrics] = []
        series: dict[str, list[float | None]] = {}
        n_windows = -(-self.n_segments // per_second)
        for band in self._bands:
            if not band.present:
                bands.append(BandMetrics(band.name, band.low_hz, band.high_hz, *([None] * 10)))
                series[band.name] = [None] * n_windows
                continue
            hi = min(band.high_hz, self.nyquist)
            energy = float(grid.integrate(power, band.low_hz, hi))
            b_shape = spectral_shape(grid, power, band.low_hz, hi)
            image = stereo_image(*(float(grid.integrate(s, band.low_hz, hi)) for s in stereo))
            rms_db = power_db(float(band.segment_energy.sum()) / total)
            peak_db = float(20.0 * np.log10(band.peak)) if band.peak > np.sqrt(SILENCE_POWER) else None
            bands.append(
                BandMetrics(
                    band=band.name,
                    freq_low_hz=band.low_hz,
                    freq_high_hz=hi,
                    rms_db=rms_db,
                    energy_ratio=float(energy / in_range) if in_range > SILENCE_POWER else None,
                    peak_db=peak_db,
                    crest_factor_db=peak_db - rms_db if peak_db is not None and rms_db is not None else None,
                    level_range_db=level_range_db(band.segment_energy, seg_frames, per_window),
                    spectral_centroid_hz=b_shape.centroid_hz,
                    spectral_rolloff_hz=b_shape.rolloff_hz,
                    spectral_flatness=b_shape.flatness,
                    stereo_width=image.width,
                    phase_correlation=image.correlation,
                )
            )
            series[band.name] = segment_levels(band.segment_energy, seg_frames, per_second)
        quiet = inaudible_bands({b.band: b.rms_db for b in bands})
        bands = [
            b
            if b.band not in quiet
            else replace(
                b,
                spectral_centroid_hz=None,
                spectral_rolloff_hz=None,
                spectral_flatness=None,
                stereo_width=None,
                phase_correlation=None,
            )
            for b in bands
        ]

        edges = spectrum_edges_hz()
        spectrum_db: list[float | None] = []
        for lo, hi in pairwise(edges):
            in_band = float(grid.integrate(power, lo, min(hi, self.nyquist)))
            spectrum_db.append(None if lo >= self.nyquist else power_db(in_band))

        tr = transient_summary(
            flux=np.concatenate(self._flux) if self._flux else np.zeros(0),
            magnitude_sum=np.concatenate(self._magsum) if self._magsum else np.zeros(0),
            flux_low=np.concatenate(self._flux_low) if self._flux_low else np.zeros(0),
            magnitude_sum_low=np.concatenate(self._magsum_low) if self._magsum_low else np.zeros(0),
            hop_s=self._hi.hop / self.fs,
            frame_s=self.n_hi / self.fs,
            env_peak=np.concatenate(self._env_peak) if self._env_peak else np.zeros(0),
            env_ms=np.concatenate(self._env_ms) if self._env_ms else np.zeros(0),
            env_step_s=self._env_step / self.fs,
            duration_s=total / self.fs,
        )
        hm = self._harmonics.finish()
        return SpectralSummary(
            spectral_centroid_hz=shape.centroid_hz,
            spectral_rolloff_hz=shape.rolloff_hz,
            spectral_flatness=shape.flatness,
            sub_20hz_ratio=sub20,
            thd_percent=hm.thd_percent,
            harmonic_ratio=hm.harmonic_ratio,
            transient_preservation=tr.transient_preservation,
            attack_time_ms=tr.attack_time_ms,
            onset_rate_hz=None if silent else tr.onset_rate_hz,
            spectral_flux=tr.spectral_flux,
            tempo_bpm=tr.tempo_bpm,
            pulse_clarity=tr.pulse_clarity,
            bands=tuple(bands),
            spectrum_freqs_hz=[float(np.sqrt(a * b)) for a, b in pairwise(edges)],
            spectrum_db=spectrum_db,
            band_rms_db=series,
            band_rms_hop_s=BAND_RMS_HOP_S,
        )

    def _long_term_spectrum(self) -> tuple[SpectrumGrid, np.ndarray, list[np.ndarray]]:
        """The pooled long-term spectrum on the joined low/full-rate grid, mean square per bin,
        and the stereo sums (ΣL², ΣR², ΣLR per bin) on the same grid."""
        total = self.layout.total_frames
        df_hi = self.fs / self.n_hi
        df_lo = self.fs_low / LOW_FFT
        k_split = max(1, round(BLEND_HIGH_HZ / df_hi))
        split_hz = (k_split - 0.5) * df_hi  # a full-rate bin edge
        # low grid: bins up to the one holding split_hz, the last cut at split_hz
        j = int(np.floor(split_hz / df_lo + 0.5))
        low = uniform_grid(df_lo, 0, j + 1)
        low_edges = low.edges_hz.copy()
        frac = (split_hz - low_edges[j]) / (low_edges[j + 1] - low_edges[j])
        low_edges[j + 1] = split_hz
        low = SpectrumGrid(centres_hz=low.centres_hz, edges_hz=low_edges)
        n_hi_bins = self.n_hi // 2 + 1
        high_all = uniform_grid(df_hi, 0, n_hi_bins)
        high = uniform_grid(df_hi, k_split, n_hi_bins)
        grid = join_grids(low, high)
        lo_scale = parseval_weights(LOW_FFT)[: j + 1] / (total / self.decimation)
        lo_scale[j] *= frac
        hi_scale = parseval_weights(self.n_hi) / total
        ramp = np.clip((low.centres_hz - BLEND_LOW_HZ) / (split_hz - BLEND_LOW_HZ), 0.0, 1.0)

        def joined(lo_sum: np.ndarray, hi_sum: np.ndarray) -> np.ndarray:
            hi_power = hi_sum * hi_scale
            hi_on_low = high_all.integrate(hi_power, low.edges_hz[:-1], low.edges_hz[1:])
            blended = (1.0 - ramp) * lo_sum[: j + 1] * lo_scale + ramp * hi_on_low
            return np.concatenate([blended, hi_power[k_split:]])

        power = joined(self._lo_sum, self._hi_sum)
        stereo = [joined(self._lo_stereo[i], self._hi_stereo[i]) for i in range(3)]
        return grid, power, stereo
