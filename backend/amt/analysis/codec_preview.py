"""What a streaming service's codec does to a master's peaks (SPEC §8, ``codec_preview``).

The master is really encoded with the service's codec and bit rate, decoded, and
measured: the true peak after encoding (the engine's own
:class:`analysis.truepeak.TruePeakMeter`) and the decoded samples at or beyond full
scale, which a player's fixed-point output clips. Lossy encoders low-pass and
quantise the spectrum, so a master limited at −0.3 dBTP comes back with peaks
above 0 dBTP; this measures by how much, instead of guessing with a −1/−2 dBTP rule.

Everything runs block by block in bounded memory, in memory (no files):

* AAC, Opus and MP3: FFmpeg's own encoders (``aac``, ``libopus``, ``libmp3lame``,
  through PyAV) feed their packets straight to the matching decoder.
* Vorbis: libvorbis (through libsndfile; FFmpeg's built-in Vorbis encoder is
  experimental and not what services run). libsndfile writes whole files, so the
  master is encoded in :data:`SEGMENT_S` segments, each with :data:`CONTEXT_S` of
  audio either side that is encoded and then dropped, so every kept sample was coded
  in the middle of a stream, as in one long encode.

The master is encoded at its own rate when the codec takes it, else resampled
(libswresample) to 48 kHz for Opus, which only codes 48 kHz, and to 44.1 kHz for
the others. Masters with more than two channels are previewed on their first two
(L, R), as services stream stereo.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from typing import Literal

import av
import numpy as np
import soundfile as sf

from amt.analysis.truepeak import TruePeakMeter


class Codec(StrEnum):
    """The lossy codecs streaming services deliver."""

    AAC = "AAC"
    OPUS = "Opus"
    MP3 = "MP3"
    VORBIS = "Vorbis"


@dataclass(frozen=True)
class Encoding:
    """A codec at a bit rate, as a service streams it."""

    codec: Codec
    bitrate_kbps: int


@dataclass(frozen=True)
class EncodedPeaks:
    """What came back from one encode–decode round trip."""

    codec: str
    bitrate_kbps: int
    sample_rate: int
    """Rate the master was encoded at, Hz."""
    true_peak_dbtp: float | None
    """True peak of the decoded audio, dBTP (None for digital silence)."""
    clipped_samples: int
    """Decoded samples at or beyond full scale (|x| ≥ 1.0), over all channels."""


SEGMENT_S = 20.0
"""Length of the segments the Vorbis preview encodes one by one, s."""
CONTEXT_S = 1.0
"""Audio encoded either side of a segment and dropped (Vorbis blocks span at most 46 ms), s."""
_SNDFILE_WRITE_FRAMES = 1 << 16
"""Frames per libsndfile write: libsndfile 1.2's Vorbis writer crashes (SIGSEGV) on one write of a minute of audio."""
_METER_FRAMES = 1 << 16
"""Decoded frames gathered before they go to the true-peak meter."""
_AV_ENCODERS = {Codec.AAC: ("aac", "fltp"), Codec.OPUS: ("libopus", "flt"), Codec.MP3: ("libmp3lame", "fltp")}
"""PyAV encoder and the sample format it is given."""
_AV_DECODERS = {Codec.AAC: "aac", Codec.OPUS: "libopus", Codec.MP3: "mp3float"}
_RATES = {
    Codec.AAC: (44100, 48000, 88200, 96000, 32000, 64000),
    Codec.OPUS: (48000,),
    Codec.MP3: (44100, 48000, 32000),
    Codec.VORBIS: (44100, 48000, 88200, 96000, 32000, 22050),
}
"""Rates each codec is encoded at without resampling, Hz."""


def encoding_rate(codec: Codec, sample_rate: int) -> int:
    """The rate a master of ``sample_rate`` Hz is encoded at with ``codec``."""
    if sample_rate in _RATES[codec]:
        return sample_rate
    return 48000 if codec == Codec.OPUS else 44100


def _layout(channels: int) -> str:
    return "mono" if channels == 1 else "stereo"


def _planar(block: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(block.T, dtype=np.float32)


def _frames_of(frames: Iterable[av.AudioFrame]) -> Iterator[np.ndarray]:
    """Decoded PyAV frames as float32 (frames, channels) arrays."""
    for frame in frames:
        raw = frame.to_ndarray()
        width = len(frame.layout.channels)
        data = raw.T if frame.format.is_planar else raw.reshape(-1, width)
        if frame.format.name.startswith("s16"):
            yield data.astype(np.float32) / np.float32(32768)
        elif frame.format.name.startswith("s32"):
            yield data.astype(np.float32) / np.float32(2**31)
        else:
            yield data.astype(np.float32, copy=False)


class _Resampler:
    """Streaming sample-rate conversion with libswresample (identity when the rates agree)."""

    def __init__(self, rate_in: int, rate_out: int, channels: int) -> None:
        self.rate_in, self.channels = rate_in, channels
        self._pts = 0
        self._resampler = (
            None if rate_in == rate_out else av.AudioResampler(format="fltp", layout=_layout(channels), rate=rate_out)
        )

    def push(self, block: np.ndarray | None) -> Iterator[np.ndarray]:
        if self._resampler is None:
            if block is not None:
                yield block
            return
        frame = None
        if block is not None:
            frame = av.AudioFrame.from_ndarray(_planar(block), format="fltp", layout=_layout(self.channels))
            frame.sample_rate, frame.pts = self.rate_in, self._pts
            frame.time_base = Fraction(1, self.rate_in)
            self._pts += block.shape[0]
        yield from _frames_of(self._resampler.resample(frame))


def _audio_context(name: str, mode: Literal["r", "w"]) -> av.AudioCodecContext:
    """A fresh FFmpeg audio encoder (``mode`` 'w') or decoder ('r')."""
    ctx = av.CodecContext.create(name, mode)
    if not isinstance(ctx, av.AudioCodecContext):
        raise TypeError(f"{name} is not an audio codec")
    return ctx


class _AvRoundTrip:
    """FFmpeg encoder → decoder, packet by packet."""

    def __init__(self, encoding: Encoding, rate: int, channels: int) -> None:
        name, fmt = _AV_ENCODERS[encoding.codec]
        self._fmt, self._layout, self._rate = fmt, _layout(channels), rate
        enc = _audio_context(name, "w")
        enc.sample_rate, enc.layout, enc.format = rate, self._layout, fmt
        enc.bit_rate = encoding.bitrate_kbps * 1000
        enc.time_base = Fraction(1, rate)
        enc.open()
        dec = _audio_context(_AV_DECODERS[encoding.codec], "r")
        dec.sample_rate, dec.layout = rate, self._layout
        if enc.extradata:
            dec.extradata = enc.extradata
        dec.open()
        self._enc, self._dec = enc, dec
        self._fifo = av.AudioFifo()
        self._frame_size = enc.frame_size or 1024
        self._pts = 0

    def _coded(self, frame: av.AudioFrame | None) -> Iterator[np.ndarray]:
        for packet in self._enc.encode(frame):
            yield from _frames_of(self._dec.decode(packet))

    def push(self, block: np.ndarray | None) -> Iterator[np.ndarray]:
        if block is not None:
            data = _planar(block) if self._fmt == "fltp" else np.ascontiguousarray(block, dtype=np.float32).reshape(
                1, -1)  # fmt: skip
            frame = av.AudioFrame.from_ndarray(data, format=self._fmt, layout=self._layout)
            frame.sample_rate, frame.pts = self._rate, self._pts
            self._pts += block.shape[0]
            self._fifo.write(frame)
            while self._fifo.samples >= self._frame_size:
                yield from self._coded(self._fifo.read(self._frame_size))
            return
        rest = self._fifo.read()
        if rest is not None:
            yield from self._coded(rest)
        yield from self._coded(None)
        yield from _frames_of(self._dec.decode(None))


class _VorbisRoundTrip:
    """libvorbis (libsndfile) on overlapping in-memory segments; only each segment's middle is kept."""

    def __init__(self, encoding: Encoding, rate: int, channels: int) -> None:
        self._rate, self._channels = rate, channels
        # libsndfile sets Vorbis quality = 1 − compression level; Vorbis q9 is its nominal 320 kbit/s, q6 192
        self._level = float(np.interp(encoding.bitrate_kbps, _VORBIS_KBPS, _VORBIS_LEVELS))
        self._segment = round(SEGMENT_S * rate)
        self._context = round(CONTEXT_S * rate)
        self._held = np.zeros((0, channels), dtype=np.float32)
        self._start = 0
        """Global frame of the first held frame."""
        self._next = 0
        """Global frame of the next frame to emit."""

    def _round_trip(self, x: np.ndarray) -> np.ndarray:
        buf = io.BytesIO()
        with sf.SoundFile(buf, "w", self._rate, self._channels, format="OGG", subtype="VORBIS",
                          compression_level=self._level) as out:  # fmt: skip
            for start in range(0, x.shape[0], _SNDFILE_WRITE_FRAMES):
                out.write(x[start : start + _SNDFILE_WRITE_FRAMES])
        buf.seek(0)
        returned: np.ndarray = sf.read(buf, dtype="float32", always_2d=True)[0]
        return returned

    def _emit(self, end: int) -> np.ndarray:
        """Encode frames ``_next − context`` … ``end + context``; return the decoded ``_next`` … ``end``."""
        stop = min(end + self._context, self._start + self._held.shape[0])
        decoded = self._round_trip(self._held[: stop - self._start])
        out = decoded[self._next - self._start : end - self._start]
        keep_from = max(self._start, end - self._context)
        self._held = self._held[keep_from - self._start :]
        self._start, self._next = keep_from, end
        return out

    def push(self, block: np.ndarray | None) -> Iterator[np.ndarray]:
        if block is None:
            end = self._start + self._held.shape[0]
            if end > self._next:
                yield self._emit(end)
            return
        self._held = np.concatenate((self._held, np.asarray(block, dtype=np.float32)))
        while self._start + self._held.shape[0] >= self._next + self._segment + self._context:
            yield self._emit(self._next + self._segment)


_VORBIS_KBPS = (96, 128, 160, 192, 256, 320, 500)
_VORBIS_LEVELS = (0.7, 0.6, 0.5, 0.4, 0.2, 0.1, 0.0)
"""Vorbis nominal bit rates (44.1 kHz stereo) of qualities 3, 4, 5, 6, 8, 9, 10 → libsndfile compression levels."""


class _Preview:
    """One destination's round trip and the meters on its output."""

    def __init__(self, encoding: Encoding, sample_rate: int, channels: int) -> None:
        self.encoding = encoding
        self.rate = encoding_rate(encoding.codec, sample_rate)
        self.channels = min(channels, 2)
        self._resampler = _Resampler(sample_rate, self.rate, self.channels)
        self._codec: _AvRoundTrip | _VorbisRoundTrip = (
            _VorbisRoundTrip(encoding, self.rate, self.channels)
            if encoding.codec == Codec.VORBIS
            else _AvRoundTrip(encoding, self.rate, self.channels)
        )
        self._meter = TruePeakMeter(list(range(self.channels)))
        self.clipped = 0
        self._pending: list[np.ndarray] = []
        self._pending_frames = 0

    def _meter_pending(self) -> None:
        if self._pending_frames:
            block = np.concatenate(self._pending) if len(self._pending) > 1 else self._pending[0]
            self._meter.update(_planar(block))
            self._pending, self._pending_frames = [], 0

    def _measure(self, decoded: Iterable[np.ndarray]) -> None:
        """Count the overs of decoded blocks and meter them in batches (codec frames are ~1000 samples)."""
        for block in decoded:
            if block.shape[0] == 0:
                continue
            self.clipped += int(np.count_nonzero(np.abs(block) >= 1.0))
            self._pending.append(block)
            self._pending_frames += block.shape[0]
            if self._pending_frames >= _METER_FRAMES:
                self._meter_pending()

    def push(self, block: np.ndarray | None) -> None:
        if block is None:
            for resampled in self._resampler.push(None):
                self._measure(self._codec.push(resampled))
            self._measure(self._codec.push(None))
            self._meter_pending()
            return
        for resampled in self._resampler.push(np.ascontiguousarray(block[:, : self.channels])):
            self._measure(self._codec.push(resampled))

    def result(self) -> EncodedPeaks:
        peak = self._meter.finish()
        return EncodedPeaks(
            codec=str(self.encoding.codec),
            bitrate_kbps=self.encoding.bitrate_kbps,
            sample_rate=self.rate,
            true_peak_dbtp=round(20 * math.log10(peak), 2) if peak > 0 else None,
            clipped_samples=self.clipped,
        )


def preview_encodings(
    blocks: Iterable[np.ndarray], sample_rate: int, channels: int, encodings: Iterable[Encoding]
) -> list[EncodedPeaks]:
    """Encode the programme given as float32 (frames, channels) blocks with every encoding, in one pass.

    Returns one :class:`EncodedPeaks` per encoding, in order. Memory is bounded by the
    block size and :data:`SEGMENT_S`, whatever the programme's length.
    """
    previews = [_Preview(e, sample_rate, channels) for e in encodings]
    for block in blocks:
        for p in previews:
            p.push(block)
    for p in previews:
        p.push(None)
    return [p.result() for p in previews]
