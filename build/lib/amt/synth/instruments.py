"""Instrument primitives of the archetype synthesiser: a 16th-note grid, drum one-shots, voices.

Everything is vectorised numpy/scipy. Signals are float64 while they are built
(phase accumulators need the precision) and the caller converts the final mix
to float32. Every random choice comes from a ``numpy.random.Generator`` passed
in by the caller, so the same seed gives the same samples bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import signal

TWO_PI = 2.0 * np.pi


def midi_hz(note: np.ndarray | float) -> np.ndarray:
    """Equal-tempered frequency of a MIDI note number (A4 = 69 = 440 Hz), Hz."""
    return 440.0 * 2.0 ** ((np.asarray(note, dtype=np.float64) - 69.0) / 12.0)


@lru_cache(maxsize=128)
def _sos(kind: str, freq_hz: float | tuple[float, float], sample_rate: int, order: int) -> np.ndarray:
    """Butterworth second-order sections (cached: the same filters recur in every track)."""
    return signal.butter(order, freq_hz, btype=kind, fs=sample_rate, output="sos")


def lowpass(x: np.ndarray, freq_hz: float, sample_rate: int, order: int = 2) -> np.ndarray:
    """Butterworth low-pass along axis 0."""
    return signal.sosfilt(_sos("lowpass", float(min(freq_hz, 0.45 * sample_rate)), sample_rate, order), x, axis=0)


def highpass(x: np.ndarray, freq_hz: float, sample_rate: int, order: int = 2) -> np.ndarray:
    """Butterworth high-pass along axis 0."""
    return signal.sosfilt(_sos("highpass", float(freq_hz), sample_rate, order), x, axis=0)


def bandpass(x: np.ndarray, low_hz: float, high_hz: float, sample_rate: int, order: int = 2) -> np.ndarray:
    """Butterworth band-pass along axis 0."""
    band = (float(low_hz), float(min(high_hz, 0.45 * sample_rate)))
    return signal.sosfilt(_sos("bandpass", band, sample_rate, order), x, axis=0)


def one_pole(x: np.ndarray, time_s: float, sample_rate: int) -> np.ndarray:
    """One-pole smoother with time constant ``time_s`` (used for de-clicking gates)."""
    a = np.exp(-1.0 / (time_s * sample_rate))
    return signal.lfilter([1.0 - a], [1.0, -a], x, axis=0)


def saw(phase_cycles: np.ndarray) -> np.ndarray:
    """Naive sawtooth −1 … 1 from a phase in cycles (the mix is low-passed; aliasing is tolerable)."""
    return 2.0 * (phase_cycles - np.floor(phase_cycles)) - 1.0


def square(phase_cycles: np.ndarray, duty: float = 0.5) -> np.ndarray:
    """Naive pulse wave −1 … 1 from a phase in cycles."""
    return np.where(phase_cycles - np.floor(phase_cycles) < duty, 1.0, -1.0)


def pan(mono: np.ndarray, position: float) -> np.ndarray:
    """Constant-power pan of a mono signal, position −1 (left) … 1 (right) → (frames, 2)."""
    angle = (position + 1.0) * np.pi / 4.0
    return mono[:, None] * np.array([np.cos(angle), np.sin(angle)])


def add_panned(out: np.ndarray, mono: np.ndarray, position: float) -> None:
    """Add a mono signal into a (frames, 2) bus at a constant-power pan position, in place."""
    angle = (position + 1.0) * np.pi / 4.0
    out[:, 0] += np.cos(angle) * mono
    out[:, 1] += np.sin(angle) * mono


@dataclass(frozen=True)
class Grid:
    """A 16th-note grid laid over a programme of ``frames`` samples."""

    sample_rate: int
    bpm: float
    frames: int
    step_starts: np.ndarray
    """Start sample of every 16th step (int64), one more than the steps, ending at ≥ frames."""
    step_of_sample: np.ndarray
    """Index of the step each sample belongs to (int32, length ``frames``)."""

    @property
    def steps(self) -> int:
        """Number of 16th steps."""
        return len(self.step_starts) - 1

    @property
    def step_s(self) -> float:
        """Length of one 16th note, seconds."""
        return 15.0 / self.bpm


def make_grid(*, bpm: float, frames: int, sample_rate: int, swing: float = 0.0) -> Grid:
    """Build the step grid; ``swing`` (0 … 0.3) delays every second 16th by that share of a step."""
    step = sample_rate * 15.0 / bpm
    n_steps = int(np.ceil(frames / step))
    k = np.arange(n_steps + 1, dtype=np.float64)
    starts = k * step + np.where(k % 2 == 1, swing * step, 0.0)
    starts = np.round(starts).astype(np.int64)
    starts[-1] = max(starts[-1], frames)
    step_of_sample = (np.searchsorted(starts, np.arange(frames), side="right") - 1).astype(np.int32)
    return Grid(sample_rate=sample_rate, bpm=bpm, frames=frames, step_starts=starts, step_of_sample=step_of_sample)


# --- drum one-shots -------------------------------------------------------------------------


def kick(
    sample_rate: int,
    *,
    pitch_hi_hz: float,
    pitch_lo_hz: float,
    decay_s: float,
    sweep_s: float = 0.04,
    click: float = 0.3,
    drive: float = 1.5,
    rng: np.random.Generator,
) -> np.ndarray:
    """Sine kick with an exponential pitch drop, a noise click and soft saturation (mono)."""
    n = int(sample_rate * decay_s * 5)
    t = np.arange(n) / sample_rate
    freq = pitch_lo_hz + (pitch_hi_hz - pitch_lo_hz) * np.exp(-t / sweep_s)
    body = np.sin(TWO_PI * np.cumsum(freq) / sample_rate) * np.exp(-t / decay_s)
    noise = highpass(rng.standard_normal(n), 2000.0, sample_rate) * np.exp(-t / 0.004)
    x = np.tanh(drive * (body + click * noise)) / np.tanh(drive)
    return x * np.minimum(1.0, (n - np.arange(n)) / (0.01 * sample_rate))


def snare(
    sample_rate: int, *, tone_hz: float, decay_s: float, noise_mix: float, rng: np.random.Generator
) -> np.ndarray:
    """Snare: a pitched body plus band-passed noise (mono)."""
    n = int(sample_rate * decay_s * 5)
    t = np.arange(n) / sample_rate
    body = np.sin(TWO_PI * tone_hz * t) * np.exp(-t / (0.5 * decay_s))
    noise = bandpass(rng.standard_normal(n), 1200.0, 9000.0, sample_rate) * np.exp(-t / decay_s)
    return (1.0 - noise_mix) * body + noise_mix * noise


def clap(sample_rate: int, *, decay_s: float, rng: np.random.Generator) -> np.ndarray:
    """Hand clap: three quick noise bursts and a tail, band-passed around 1–3 kHz (mono)."""
    n = int(sample_rate * decay_s * 5)
    t = np.arange(n) / sample_rate
    env = np.exp(-t / decay_s)
    for offset in (0.0, 0.011, 0.022):
        env = env + np.where(t >= offset, np.exp(-np.maximum(t - offset, 0.0) / 0.003), 0.0)
    return bandpass(rng.standard_normal(n), 900.0, 4000.0, sample_rate) * env / 2.0


def hat(sample_rate: int, *, decay_s: float, cutoff_hz: float, rng: np.random.Generator) -> np.ndarray:
    """Hi-hat: high-passed noise with a metallic square-wave cluster (mono)."""
    n = int(sample_rate * decay_s * 6)
    t = np.arange(n) / sample_rate
    metal = sum(square(f * t) for f in (205.3, 304.4, 369.6, 522.7, 540.0, 800.0))
    x = highpass(rng.standard_normal(n) + 0.5 * metal, cutoff_hz, sample_rate, order=4)
    return x * np.exp(-t / decay_s) / 3.0


def place(out: np.ndarray, sample: np.ndarray, starts: np.ndarray, gains: np.ndarray) -> None:
    """Add ``sample`` (mono or (n, 2)) into ``out`` at each start, scaled by its gain (in place)."""
    total = out.shape[0]
    for start, gain in zip(starts.tolist(), gains.tolist(), strict=True):
        if gain == 0.0 or start >= total:
            continue
        end = min(total, start + sample.shape[0])
        seg = sample[: end - start]
        if out.ndim == 2 and seg.ndim == 1:
            out[start:end] += gain * seg[:, None]
        else:
            out[start:end] += gain * seg


def hits(grid: Grid, pattern: np.ndarray, active: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start samples and gains of a drum from a per-step velocity ``pattern`` (tiled) and per-step ``active`` gain."""
    vel = np.resize(pattern, grid.steps) * active[: grid.steps]
    idx = np.nonzero(vel > 0.0)[0]
    return grid.step_starts[idx], vel[idx]


# --- pitched voices ---------------------------------------------------------------------------


@dataclass(frozen=True)
class NoteSteps:
    """A monophonic line on the step grid: pitch per step (NaN = rest) and note starts."""

    pitch: np.ndarray
    """MIDI pitch per step (float, NaN for silence)."""
    note_on: np.ndarray
    """True where a new note starts (re-triggers the envelopes)."""
    velocity: np.ndarray
    """0 … 1 per step."""


def voice_time(grid: Grid, line: NoteSteps) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-sample frequency (Hz), time since the current note started (s) and gate·velocity."""
    steps = np.arange(grid.steps)
    start_step = np.maximum.accumulate(np.where(line.note_on[: grid.steps], steps, 0))
    s = grid.step_of_sample
    t = (np.arange(grid.frames) - grid.step_starts[start_step][s]) / grid.sample_rate
    pitch = line.pitch[: grid.steps]
    gate = np.where(np.isnan(pitch), 0.0, line.velocity[: grid.steps])[s]
    freq = midi_hz(np.nan_to_num(pitch, nan=0.0))[s]
    return freq, t, gate


def oscillator(
    freq_hz: np.ndarray,
    sample_rate: int,
    *,
    shape: str,
    detune_cents: tuple[float, ...] = (0.0,),
    phase0: np.ndarray | None = None,
) -> np.ndarray:
    """Sum of oscillators at ``freq_hz`` detuned by each cent offset, normalised by voice count."""
    base = np.cumsum(freq_hz) / sample_rate
    out = np.zeros_like(base)
    for i, cents in enumerate(detune_cents):
        ph = base * 2.0 ** (cents / 1200.0) + (0.0 if phase0 is None else phase0[i])
        if shape == "saw":
            out += saw(ph)
        elif shape == "square":
            out += square(ph)
        else:
            out += np.sin(TWO_PI * ph)
    return out / len(detune_cents)


def adsr(
    t: np.ndarray,
    gate: np.ndarray,
    *,
    attack_s: float,
    decay_s: float,
    sustain: float,
    sample_rate: int,
    release_s: float = 0.01,
) -> np.ndarray:
    """Attack/decay/sustain envelope from the time since note start, with a de-clicked gate."""
    env = (1.0 - np.exp(-t / max(attack_s, 1e-4))) * (sustain + (1.0 - sustain) * np.exp(-t / decay_s))
    return env * one_pole(gate, release_s, sample_rate)


def filtered_voice(
    grid: Grid,
    line: NoteSteps,
    *,
    shape: str,
    detune_cents: tuple[float, ...],
    attack_s: float,
    decay_s: float,
    sustain: float,
    dark_hz: float,
    bright_hz: float,
    filter_decay_s: float,
    release_s: float = 0.01,
    rng: np.random.Generator,
) -> np.ndarray:
    """A subtractive mono voice: oscillators → a filter whose cutoff follows an envelope (mono).

    The moving filter is a cross-fade between a dark and a bright low-pass of the same
    oscillator, weighted by the filter envelope — a vectorised stand-in for a swept cutoff.
    """
    freq, t, gate = voice_time(grid, line)
    phases = rng.random(len(detune_cents))
    osc = oscillator(freq, grid.sample_rate, shape=shape, detune_cents=detune_cents, phase0=phases)
    dark = lowpass(osc, dark_hz, grid.sample_rate)
    bright = lowpass(osc, bright_hz, grid.sample_rate)
    fenv = np.exp(-t / filter_decay_s)
    amp = adsr(
        t, gate, attack_s=attack_s, decay_s=decay_s, sustain=sustain, sample_rate=grid.sample_rate, release_s=release_s
    )
    return (dark + fenv * (bright - dark)) * amp


def haas(mono: np.ndarray, delay_s: float, sample_rate: int, *, width: float = 1.0) -> np.ndarray:
    """Widen a mono signal: the right channel is a delayed copy, mixed by ``width`` (frames, 2)."""
    d = int(delay_s * sample_rate)
    delayed = np.concatenate([np.zeros(d), mono[:-d]]) if d else mono
    right = (1.0 - width) * mono + width * delayed
    return np.stack([mono, right], axis=1) * np.sqrt(0.5)


def echo(stereo: np.ndarray, delay_s: float, feedback: float, sample_rate: int, repeats: int = 4) -> np.ndarray:
    """Ping-pong echo of a (frames, 2) signal with a fixed number of repeats (wet only)."""
    d = int(delay_s * sample_rate)
    out = np.zeros_like(stereo)
    n = stereo.shape[0]
    for r in range(1, repeats + 1):
        shift = r * d
        if shift >= n:
            break
        src = stereo[: n - shift, (r % 2)] * feedback**r
        out[shift:, (r + 1) % 2] += src
    return out
