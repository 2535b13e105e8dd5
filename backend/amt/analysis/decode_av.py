"""AAC and ALAC in MP4/M4A (and MP3s without a length tag) → float32 blocks, through FFmpeg's libraries (PyAV
wheels, no system FFmpeg).

Part of the decoder (:mod:`analysis.decode` recognises the container and calls this
module); nothing else imports it. The MP4 demuxer is named explicitly, so FFmpeg
never guesses a format from the bytes. The length is the audio track's duration
after its edit list (the encoder's priming samples are dropped by FFmpeg, the
padding of the last AAC frame is cut here), so an M4A decodes to as many frames as
the audio that was encoded. An MP3 whose first frame states no length (no Xing/LAME or
VBRI tag) is read here too, with FFmpeg's ``mp3`` demuxer: libsndfile would stop at a
length estimated from the first frame's bit rate, while :mod:`analysis.decode` counts
the frames by walking their headers.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from fractions import Fraction

import av
import numpy as np

from amt.analysis.decode import check_float_block, check_layout
from amt.analysis.errors import UnreadableAudioError, UnsupportedEncodingError
from amt.analysis.lossy import codec_lowpass_hz
from amt.analysis.result import AudioInfo

CODECS_READ = {"aac": ("AAC", True), "alac": ("ALAC", False)}
"""FFmpeg decoder name → (codec name, lossy)."""
_DEMUXERS = {"MP4": "mov", "MP3": "mp3"}
"""FFmpeg's demuxer for each container read here (QuickTime/MP4/M4A; MPEG audio)."""
_ERRORS = (av.FFmpegError, ValueError, RuntimeError, TypeError, IndexError, OverflowError)
_SCALE = {"fltp": 1.0, "flt": 1.0, "s16p": 1 / 32768, "s16": 1 / 32768, "s32p": 1 / 2**31, "s32": 1 / 2**31}
"""Decoded sample formats → the factor to full scale 1.0."""


def _open(path: str | os.PathLike[str], container: str = "MP4") -> av.container.InputContainer:
    try:
        return av.open(os.fspath(path), format=_DEMUXERS[container], mode="r")
    except _ERRORS as exc:
        raise UnreadableAudioError(
            f"The {container} file could not be decoded (damaged or inconsistent header)."
        ) from exc


def _audio_stream(container: av.container.InputContainer) -> av.audio.stream.AudioStream:
    if not container.streams.audio:
        raise UnreadableAudioError("The MP4 file holds no audio track.")
    return container.streams.audio[0]


def _alac_bit_depth(extradata: bytes | None) -> int | None:
    """Bit depth from an ALAC magic cookie (the 36-byte ``alac`` atom FFmpeg keeps as extradata)."""
    if extradata and len(extradata) >= 24 and extradata[4:8] == b"alac":
        return int(extradata[17])
    if extradata and len(extradata) >= 24:  # a bare ALACSpecificConfig
        return int(extradata[5])
    return None


def _frames(stream: av.audio.stream.AudioStream, sample_rate: int) -> int | None:
    """The track's length in frames from its (edit-list) duration, None when the file does not say."""
    if stream.duration is None or stream.time_base is None or stream.duration <= 0:
        return None
    return round(Fraction(stream.duration) * stream.time_base * sample_rate)


def probe_mp4(path: str | os.PathLike[str], file_size: int, *, name: str = "MP4") -> AudioInfo:
    """Describe the first audio track of an MP4/M4A file; refuse codecs other than AAC and ALAC by name."""
    with _open(path) as container:
        stream = _audio_stream(container)
        ctx = stream.codec_context
        found = CODECS_READ.get(ctx.name)
        if found is None:
            long_name = ctx.codec.long_name if ctx.codec is not None else ctx.name
            raise UnsupportedEncodingError(
                f"The {name} file holds {long_name} audio; only AAC and ALAC are read from MP4/M4A."
            )
        codec, lossy = found
        sample_rate, channels = int(ctx.sample_rate or 0), int(ctx.channels or 0)
        frames = _frames(stream, sample_rate) if sample_rate > 0 else None
        declared_bit_rate = int(ctx.bit_rate or 0)
        if frames is None and sample_rate > 0:
            frames = _count_frames(path)
    check_layout(name, channels, sample_rate)
    if frames is None or frames <= 0:
        raise UnreadableAudioError("The file holds no audio frames.")
    bit_depth = None if lossy else _alac_bit_depth(ctx.extradata)
    if not lossy and bit_depth not in (16, 20, 24, 32):
        raise UnreadableAudioError("The ALAC track's bit depth is missing or impossible (damaged header).")
    duration_s = frames / sample_rate
    # The stream's declared average bit rate where it states one (cover art would inflate file size / duration)
    bit_rate = round((declared_bit_rate or file_size * 8 / duration_s) / 1000, 1)
    return AudioInfo(
        sample_rate=sample_rate,
        channels=channels,
        bit_depth=bit_depth,
        duration_s=duration_s,
        frames=frames,
        format="MP4",
        subtype=ctx.name.upper(),
        codec=codec,
        lossy=lossy,
        bit_rate_kbps=bit_rate if lossy else None,
        lowpass_hz=codec_lowpass_hz(codec, bit_rate, channels=channels) if lossy else None,
    )


def _decoded(
    path: str | os.PathLike[str], channels: int | None = None, container_name: str = "MP4"
) -> Iterator[np.ndarray]:
    """Every decoded frame of the first audio track as float32 (frames, channels)."""
    try:
        with _open(path, container_name) as container:
            stream = _audio_stream(container)
            for frame in container.decode(stream):
                fmt = frame.format.name
                scale = _SCALE.get(fmt)
                if scale is None:
                    raise UnreadableAudioError(f"The MP4 audio decodes to an unexpected sample format ({fmt}).")
                raw = frame.to_ndarray()
                width = len(frame.layout.channels)
                if channels is not None and width != channels:
                    raise UnreadableAudioError("The audio changes its channel count part-way through.")
                data = raw.T if frame.format.is_planar else raw.reshape(-1, width)
                block = data.astype(np.float32)
                if scale != 1.0:
                    block *= np.float32(scale)
                yield block
    except _ERRORS as exc:
        raise UnreadableAudioError("The audio data could not be decoded (damaged file).") from exc


def _count_frames(path: str | os.PathLike[str]) -> int:
    """Frames of a track whose header does not state its length (a fragmented MP4): decode and count."""
    return sum(block.shape[0] for block in _decoded(path))


def iter_av_blocks(path: str | os.PathLike[str], info: AudioInfo, *, block_frames: int) -> Iterator[np.ndarray]:
    """Decode the audio of ``path`` (described by ``info``) as float32 blocks of ``block_frames`` frames.

    Exactly ``info.frames`` frames: the padding of the last AAC frame beyond the track's
    duration is cut; fewer frames than that raise UnreadableAudioError (truncated).
    """
    pending: list[np.ndarray] = []
    held = seen = 0
    for frame in _decoded(path, info.channels, info.format):
        frame = frame[: info.frames - seen - held]
        if frame.shape[0] == 0:
            break
        if info.lossy:
            check_float_block(frame)
        pending.append(frame)
        held += frame.shape[0]
        while held >= block_frames:
            joined = np.concatenate(pending) if len(pending) > 1 else pending[0]
            yield np.ascontiguousarray(joined[:block_frames])
            rest = joined[block_frames:]
            pending, held, seen = ([rest] if rest.shape[0] else []), rest.shape[0], seen + block_frames
    if held:
        yield np.ascontiguousarray(np.concatenate(pending) if len(pending) > 1 else pending[0])
        seen += held
    if seen != info.frames:
        raise UnreadableAudioError(
            f"The file is truncated: its header announces {info.frames} frames but only {seen} could be read."
        )
