"""The package's only file reader: WAV (RIFF, RF64, W64) → float32 blocks (SPEC §4, Decoding).

A file is recognised by its bytes, never by its name. Before libsndfile (through
``soundfile``) touches it, the header is walked here with bounded reads: the
container magic, the encoding tag of the ``fmt `` chunk, the channel count,
sample rate and WAVE_FORMAT_EXTENSIBLE channel mask (speaker positions, which
:mod:`analysis.channels` turns into BS.1770 weights), and whether the ``data`` chunk is as long as it claims. Nothing is
allocated from a declared size. Every failure raises an :mod:`utils.errors`
audio error whose message names the problem in words — never a path, since
messages can reach HTTP clients.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np
import soundfile as sf

from analysis.result import BLOCK_SAMPLE_BUDGET, AudioInfo
from utils.errors import UnreadableAudioError, UnsupportedEncodingError, UnsupportedFormatError

MIN_SAMPLE_RATE_HZ = 8_000
MAX_SAMPLE_RATE_HZ = 384_000
MAX_CHANNELS = 64
_MAX_BLOCK_SAMPLES = BLOCK_SAMPLE_BUDGET
"""Upper bound on frames × channels of one decoded block (16 MB of float32), as for the engine's blocks."""
_MAX_CHUNKS = 4096
"""Chunks walked before giving up on finding ``fmt `` and ``data``."""

_W64_GUID_TAIL = bytes.fromhex("f3acd3118cd100c04f8edb8a")
_W64_RIFF = b"riff" + bytes.fromhex("2e91cf11a5d628db04c10000")
_W64_WAVE = b"wave" + _W64_GUID_TAIL
_W64_FMT = b"fmt " + _W64_GUID_TAIL
_W64_DATA = b"data" + _W64_GUID_TAIL
_KSDATAFORMAT_TAIL = bytes.fromhex("000000001000800000aa00389b71")
"""WAVE_FORMAT_EXTENSIBLE sub-format GUIDs are <format tag (2 bytes)> + this."""

WAVE_FORMAT_PCM = 0x0001
WAVE_FORMAT_IEEE_FLOAT = 0x0003
WAVE_FORMAT_EXTENSIBLE = 0xFFFE
_ENCODING_NAMES = {
    0x0002: "Microsoft ADPCM",
    0x0006: "A-law",
    0x0007: "µ-law",
    0x0011: "IMA ADPCM",
    0x0031: "GSM 6.10",
    0x0040: "G.721 ADPCM",
    0x0050: "MPEG audio",
    0x0055: "MP3 (MPEG Layer III)",
    0x0092: "Dolby AC-3 (S/PDIF)",
    0x00FF: "AAC",
    0x0161: "Windows Media Audio",
    0x2000: "Dolby AC-3",
    0x2001: "DTS",
}
_SUBTYPE_BIT_DEPTH = {"PCM_U8": 8, "PCM_S8": 8, "PCM_16": 16, "PCM_24": 24, "PCM_32": 32, "FLOAT": 32, "DOUBLE": 64}
"""The encodings the engine reads (SPEC §4): PCM 8/16/24/32-bit, IEEE float 32/64."""
_FLOAT_SUBTYPES = ("FLOAT", "DOUBLE")
MAX_FLOAT_SAMPLE = 1000.0
"""Largest float sample magnitude accepted (+60 dBFS). Float masters may go over 1.0, never this far: larger
values are damaged or non-audio data, and would overflow the meters' float32 sums of squares."""
_STREAMING_SIZES = (0, 0xFFFFFFFF)
"""``data`` sizes written by streaming encoders that could not seek back: "until end of file"."""


@dataclass(frozen=True)
class _Header:
    """What the header walk learned."""

    container: str
    format_tag: int
    channels: int
    sample_rate: int
    bits_per_sample: int
    data_size: int | None
    """Declared size of the audio data in bytes (None: unknown / up to end of file)."""
    data_available: int
    channel_mask: int | None
    """WAVE_FORMAT_EXTENSIBLE dwChannelMask; None without one (or when it is 0, "no positions")."""


def _read_exact(f: BinaryIO, size: int, what: str) -> bytes:
    data = f.read(size)
    if len(data) != size:
        raise UnreadableAudioError(f"The file is truncated: it ends inside the {what}.")
    return data


def _container(head: bytes, file_size: int) -> str:
    """'WAV', 'RF64' or 'W64' from the first bytes, else UnsupportedFormatError."""
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "WAV"
    if head[:4] == b"RF64" and head[8:12] == b"WAVE":
        return "RF64"
    if head[:16] == _W64_RIFF and head[24:40] == _W64_WAVE:
        return "W64"
    if file_size < 12 and any(m.startswith(head) for m in (b"RIFF", b"RF64", _W64_RIFF[:file_size])):
        raise UnreadableAudioError("The file is truncated: it ends inside the WAV header.")
    raise UnsupportedFormatError("The file is not a WAV file (no RIFF/WAVE, RF64 or Wave64 header).")


def _chunks(f: BinaryIO, container: str, file_size: int) -> Iterator[tuple[bytes, int, int]]:
    """Yield (chunk id, declared payload size, payload offset), walking the file with seeks only."""
    if container == "W64":
        offset, header, align = 40, 24, 8
    else:
        offset, header, align = 12, 8, 2
    for _ in range(_MAX_CHUNKS):
        if offset + header > file_size:
            return
        f.seek(offset)
        raw = _read_exact(f, header, "chunk list")
        if container == "W64":
            # A Wave64 size counts the 24-byte chunk header itself, so anything smaller is impossible.
            chunk_id, size = raw[:16], struct.unpack("<Q", raw[16:24])[0] - header
            if size < 0:
                raise UnreadableAudioError(
                    "The Wave64 file is damaged: a chunk declares a size smaller than its header."
                )
        else:
            chunk_id, size = raw[:4], struct.unpack("<I", raw[4:8])[0]
        yield chunk_id, size, offset + header
        offset += header + size + (-size % align if container == "W64" else size % align)


def _parse_header(f: BinaryIO, file_size: int) -> _Header:
    """Walk the chunks up to ``fmt `` and ``data``; raise the matching audio error on anything odd."""
    head = f.read(40)
    container = _container(head, file_size)
    fmt: bytes | None = None
    data_size: int | None = None
    data_offset: int | None = None
    rf64_data_size: int | None = None
    fmt_id, data_id = (_W64_FMT, _W64_DATA) if container == "W64" else (b"fmt ", b"data")
    for chunk_id, size, payload in _chunks(f, container, file_size):
        if chunk_id == b"ds64" and container == "RF64":
            f.seek(payload)
            rf64_data_size = struct.unpack("<Q", _read_exact(f, 28, "RF64 size chunk")[8:16])[0]
        elif chunk_id == fmt_id:
            f.seek(payload)
            fmt = _read_exact(f, min(size, 40), "format chunk")
        elif chunk_id == data_id:
            data_offset = payload
            data_size = size
            if container == "RF64" and size == 0xFFFFFFFF:
                data_size = rf64_data_size
            break
    if fmt is None or len(fmt) < 16:
        raise UnreadableAudioError("The WAV file has no valid format chunk.")
    if data_offset is None:
        raise UnreadableAudioError("The WAV file has no audio data chunk.")
    tag, channels, sample_rate, _, _, bits = struct.unpack("<HHIIHH", fmt[:16])
    mask: int | None = None
    if tag == WAVE_FORMAT_EXTENSIBLE:
        if len(fmt) < 40 or fmt[26:40] != _KSDATAFORMAT_TAIL:
            raise UnsupportedEncodingError("The WAV file uses an unknown extensible sub-format.")
        tag = struct.unpack("<H", fmt[24:26])[0]
        mask = struct.unpack("<I", fmt[20:24])[0] or None
    available = max(0, file_size - data_offset)
    if container != "RF64" and data_size in _STREAMING_SIZES and available > 0:
        data_size = None
    return _Header(container, tag, channels, sample_rate, bits, data_size, available, mask)


def _check_header(h: _Header) -> None:
    """Encoding, channel count, rate and data length, before anything is allocated."""
    if h.format_tag not in (WAVE_FORMAT_PCM, WAVE_FORMAT_IEEE_FLOAT):
        name = _ENCODING_NAMES.get(h.format_tag, f"format tag 0x{h.format_tag:04X}")
        raise UnsupportedEncodingError(
            f"The WAV file is encoded as {name}; only PCM (8/16/24/32-bit) and IEEE float (32/64-bit) are supported."
        )
    if h.format_tag == WAVE_FORMAT_IEEE_FLOAT and h.bits_per_sample not in (32, 64):
        raise UnsupportedEncodingError(
            f"The WAV file holds {h.bits_per_sample}-bit float samples; only 32 and 64-bit float are supported."
        )
    if not 1 <= h.channels <= MAX_CHANNELS:
        raise UnreadableAudioError(
            f"The WAV header declares {h.channels} channels (1 to {MAX_CHANNELS} are supported)."
        )
    if not MIN_SAMPLE_RATE_HZ <= h.sample_rate <= MAX_SAMPLE_RATE_HZ:
        raise UnreadableAudioError(
            f"The WAV header declares a sample rate of {h.sample_rate} Hz "
            f"({MIN_SAMPLE_RATE_HZ}–{MAX_SAMPLE_RATE_HZ} Hz are supported)."
        )
    if h.data_size is not None and h.data_size > h.data_available:
        raise UnreadableAudioError(
            f"The file is truncated: its header announces {h.data_size} bytes of audio "
            f"but only {h.data_available} are present."
        )


def _open_info(path: str | os.PathLike[str]) -> sf._SoundFileInfo:
    try:
        return sf.info(os.fspath(path))
    except (RuntimeError, ValueError, TypeError) as exc:
        raise UnreadableAudioError("The WAV file could not be decoded (damaged or inconsistent header).") from exc


def probe_wav(path: str | os.PathLike[str], *, max_duration_s: float | None = None) -> AudioInfo:
    """Check a WAV file and describe it, without decoding its audio.

    Raises UnsupportedFormatError (not WAV), UnsupportedEncodingError (not PCM
    8/16/24/32 or float 32/64) or UnreadableAudioError (empty, truncated, zero
    frames, absurd header, longer than ``max_duration_s`` seconds).
    """
    try:
        file_size = os.path.getsize(path)
        if file_size == 0:
            raise UnreadableAudioError("The file is empty.")
        with open(path, "rb") as f:
            header = _parse_header(f, file_size)
    except OSError as exc:
        raise UnreadableAudioError("The file could not be read.") from exc
    _check_header(header)
    info = _open_info(path)
    bit_depth = _SUBTYPE_BIT_DEPTH.get(info.subtype)
    if bit_depth is None:
        raise UnsupportedEncodingError(
            f"The WAV file is encoded as {info.subtype_info or info.subtype}; "
            "only PCM (8/16/24/32-bit) and IEEE float (32/64-bit) are supported."
        )
    if info.frames <= 0:
        raise UnreadableAudioError("The file holds no audio frames.")
    duration_s = info.frames / info.samplerate
    if max_duration_s is not None and duration_s > max_duration_s:
        raise UnreadableAudioError(
            f"The audio lasts {duration_s:.0f} s, longer than the {max_duration_s:.0f} s limit."
        )
    return AudioInfo(
        sample_rate=int(info.samplerate),
        channels=int(info.channels),
        bit_depth=bit_depth,
        duration_s=duration_s,
        frames=int(info.frames),
        format=header.container,
        subtype=str(info.subtype),
        channel_mask=header.channel_mask,
    )


def _check_float_block(block: np.ndarray) -> None:
    low, high = float(block.min()), float(block.max())  # NaN propagates through min/max
    if not (np.isfinite(low) and np.isfinite(high)):
        raise UnreadableAudioError("The audio contains NaN or infinite sample values.")
    if max(-low, high) > MAX_FLOAT_SAMPLE:
        raise UnreadableAudioError(
            f"The audio contains float sample values beyond ±{MAX_FLOAT_SAMPLE:g} (+60 dBFS): the data is damaged."
        )


def iter_blocks(path: str | os.PathLike[str], *, block_frames: int = 1 << 20) -> Iterator[np.ndarray]:
    """Decode a WAV file (checked with :func:`probe_wav`) as float32 (frames, channels) blocks.

    Full scale is 1.0. Blocks hold at most ``block_frames`` frames (fewer for many
    channels, to bound memory). Raises UnreadableAudioError when the audio ends
    early or holds NaN/Inf or float samples beyond ±``MAX_FLOAT_SAMPLE``.
    """
    info = probe_wav(path)
    is_float = info.subtype in _FLOAT_SUBTYPES  # PCM decodes within ±1 by construction
    step = max(1, min(int(block_frames), _MAX_BLOCK_SAMPLES // info.channels))
    seen = 0
    try:
        with sf.SoundFile(os.fspath(path)) as f:
            while seen < info.frames:
                block = f.read(min(step, info.frames - seen), dtype="float32", always_2d=True)
                if block.shape[0] == 0:
                    break
                if is_float:
                    _check_float_block(block)
                seen += block.shape[0]
                yield block
    except (RuntimeError, ValueError, TypeError) as exc:
        raise UnreadableAudioError("The audio data could not be decoded (damaged file).") from exc
    if seen != info.frames:
        raise UnreadableAudioError(
            f"The file is truncated: its header announces {info.frames} frames but only {seen} could be read."
        )


def read_wav(path: str | os.PathLike[str], *, max_duration_s: float | None = None) -> tuple[np.ndarray, AudioInfo]:
    """Decode a whole WAV file: float32 array (frames, channels) and its :class:`AudioInfo`.

    For tests and short files; long files should go through :func:`iter_blocks`.
    """
    info = probe_wav(path, max_duration_s=max_duration_s)
    blocks = list(iter_blocks(path))
    data = blocks[0] if len(blocks) == 1 else np.concatenate(blocks)
    return np.ascontiguousarray(data), info
