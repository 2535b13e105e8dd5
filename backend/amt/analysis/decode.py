"""The package's only file reader: every format of SPEC §4 → float32 blocks (SPEC §4, Decoding).

A file is recognised by its bytes, never by its name: :func:`sniff` reads the
first bytes (skipping ID3v2 tags) and names the container. WAV (RIFF, RF64,
Wave64), AIFF/AIFC, FLAC, MP3 (MPEG audio layers I–III) and Ogg (Vorbis, Opus)
are decoded by libsndfile (through ``soundfile``); AAC and ALAC in M4A/MP4 by
FFmpeg's libraries through PyAV (:mod:`analysis.decode_av`). Every format is read
block by block, so memory is bounded whatever the file's length.

Before libsndfile touches a WAV, its header is walked here with bounded reads: the
container magic, the encoding tag of the ``fmt `` chunk, the channel count, sample
rate and WAVE_FORMAT_EXTENSIBLE channel mask (speaker positions, which
:mod:`analysis.channels` turns into BS.1770 weights), and whether the ``data``
chunk is as long as it claims. An AIFC's compression type and an Ogg stream's codec
are read the same way, so that an encoding that is not read is named. Nothing is
allocated from a declared size. Every failure raises an :mod:`amt.analysis.errors` audio
error whose message names the problem in words — never a path, since messages can
reach HTTP clients.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np
import soundfile as sf

from amt.analysis.errors import UnreadableAudioError, UnsupportedEncodingError, UnsupportedFormatError
from amt.analysis.lossy import codec_lowpass_hz
from amt.analysis.result import BLOCK_SAMPLE_BUDGET, AudioInfo

MIN_SAMPLE_RATE_HZ = 8_000
MAX_SAMPLE_RATE_HZ = 384_000
MAX_CHANNELS = 64
_MAX_BLOCK_SAMPLES = BLOCK_SAMPLE_BUDGET
"""Upper bound on frames × channels of one decoded block (16 MB of float32), as for the engine's blocks."""
_MAX_CHUNKS = 4096
"""Chunks walked before giving up on finding ``fmt `` and ``data``."""
_MAX_ID3_TAGS = 8
"""Consecutive ID3v2 tags skipped before the audio (some taggers stack them)."""
_HEAD_BYTES = 512
"""Bytes read to recognise a container and, for Ogg, the codec of its first packet."""

FORMATS_READ = "WAV (RIFF, RF64, Wave64), AIFF/AIFC, FLAC, MP3, Ogg Vorbis, Opus, and AAC or ALAC in M4A/MP4"
"""What the decoder reads, as named in the refusal of anything else."""

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
"""The uncompressed encodings the engine reads (SPEC §4): PCM 8/16/24/32-bit, IEEE float 32/64."""
_FLOAT_SUBTYPES = ("FLOAT", "DOUBLE")
_LOSSY_SUBTYPES = {
    "MPEG_LAYER_III": "MP3",
    "MPEG_LAYER_II": "MP2",
    "MPEG_LAYER_I": "MP1",
    "VORBIS": "Vorbis",
    "OPUS": "Opus",
}
"""libsndfile's lossy subtypes → the codec name recorded in :attr:`AudioInfo.codec`."""
_AIFC_PCM_TYPES = (b"NONE", b"twos", b"sowt", b"raw ", b"in24", b"42ni", b"in32", b"23ni", b"fl32", b"FL32",
                   b"fl64", b"FL64")  # fmt: skip
"""AIFC compression types that hold uncompressed PCM or IEEE float."""
_AIFC_CODEC_NAMES = {
    b"ulaw": "µ-law", b"ULAW": "µ-law", b"alaw": "A-law", b"ALAW": "A-law", b"ima4": "IMA ADPCM",
    b"GSM ": "GSM 6.10", b"ACE2": "MACE 2:1", b"ACE8": "MACE 8:3", b"MAC3": "MACE 3:1", b"MAC6": "MACE 6:1",
    b"sdx2": "SDX2", b"QDMC": "QDesign Music", b"QDM2": "QDesign Music 2", b"Qclp": "QUALCOMM PureVoice",
    b"DWVW": "DWVW",
}  # fmt: skip
_OGG_CODECS = {
    b"\x01vorbis": "Vorbis",
    b"OpusHead": "Opus",
    b"\x7fFLAC": "FLAC",
    b"Speex   ": "Speex",
    b"\x80theora": "Theora video",
    b"fishead\x00": "an Ogg Skeleton stream",
    b"PCM     ": "PCM",
    b"CELT    ": "CELT",
}
"""First bytes of an Ogg stream's first packet → its codec."""
_OGG_CODECS_READ = ("Vorbis", "Opus")
MAX_FLOAT_SAMPLE = 1000.0
"""Largest float sample magnitude accepted (+60 dBFS). Float masters may go over 1.0, never this far: larger
values are damaged or non-audio data, and would overflow the meters' float32 sums of squares."""
_STREAMING_SIZES = (0, 0xFFFFFFFF)
"""``data`` sizes written by streaming encoders that could not seek back: "until end of file"."""

_CONTAINER_NAMES = {"WAV": "WAV", "RF64": "RF64", "W64": "Wave64", "AIFF": "AIFF", "AIFC": "AIFF-C",
                    "FLAC": "FLAC", "MP3": "MP3", "OGG": "Ogg", "MP4": "MP4/M4A"}  # fmt: skip
"""Container → the name used in messages."""
MP3_WITHOUT_LENGTH = "MPEG_LAYER_III (no length tag)"
"""AudioInfo.subtype of an MP3 whose first frame states no length: decoded by FFmpeg, frames counted here."""
_SNDFILE_CONTAINERS = ("WAV", "RF64", "W64", "AIFF", "AIFC", "FLAC", "MP3", "OGG")
"""Containers read through libsndfile; MP4 goes through PyAV."""


@dataclass(frozen=True)
class Sniffed:
    """What the first bytes of a file say: its container and, where they tell, its codec."""

    container: str
    """'WAV', 'RF64', 'W64', 'AIFF', 'AIFC', 'FLAC', 'MP3', 'OGG' or 'MP4'."""
    codec: str | None = None
    """The codec when the first bytes name it (an Ogg stream's), else None."""
    offset: int = 0
    """Where the container starts (after ID3v2 tags)."""


@dataclass(frozen=True)
class _Header:
    """What the WAV header walk learned."""

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


# ── recognising a container by its bytes ────────────────────────────────────


def _is_mpeg_audio_frame(head: bytes) -> bool:
    """An MPEG-1/2/2.5 audio frame header (layers I–III): 11 sync bits, no reserved field values."""
    if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return False
    version, layer = (head[1] >> 3) & 3, (head[1] >> 1) & 3
    bitrate_index, rate_index = head[2] >> 4, (head[2] >> 2) & 3
    return version != 1 and layer != 0 and bitrate_index != 15 and rate_index != 3


def _is_adts(head: bytes) -> bool:
    """An AAC ADTS frame header: 12 sync bits and layer 0 (MPEG audio's reserved layer value)."""
    return len(head) >= 4 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0


_MPEG_KBPS = {
    (1, 1): (0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (1, 2): (0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (1, 3): (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (2, 1): (0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (2, 2): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
    (2, 3): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
"""ISO 11172-3 / 13818-3 bit rates, kbit/s, by (MPEG-1 or 2/2.5, layer) and bitrate index."""
_MPEG_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}
"""Sample rates by version bits (3: MPEG-1, 2: MPEG-2, 0: MPEG-2.5) and rate index."""
_MP3_LENGTH_TAGS = (b"Xing", b"Info", b"VBRI")
"""Tags of an MP3's first frame that state its length (Xing/LAME, Fraunhofer)."""


def _mpeg_frame(head: bytes) -> tuple[int, int] | None:
    """(frame length in bytes, samples per frame) of an MPEG audio frame header; None if it is not one (or is a
    free-format frame, whose length the header does not give)."""
    if not _is_mpeg_audio_frame(head):
        return None
    version, layer = (head[1] >> 3) & 3, 4 - ((head[1] >> 1) & 3)
    kbps = _MPEG_KBPS[(1 if version == 3 else 2, layer)][head[2] >> 4]
    rate = _MPEG_RATES[version][(head[2] >> 2) & 3]
    padding = (head[2] >> 1) & 1
    if kbps == 0:
        return None
    if layer == 1:
        return (12 * kbps * 1000 // rate + padding) * 4, 384
    samples = 1152 if layer == 2 or version == 3 else 576
    return samples // 8 * kbps * 1000 // rate + padding, samples


def _mp3_states_its_length(f: BinaryIO, offset: int) -> bool:
    """Whether the first frame carries a Xing/Info/VBRI tag, from which the decoder knows the exact length."""
    f.seek(offset)
    first = f.read(200)
    return any(tag in first for tag in _MP3_LENGTH_TAGS)


def _mp3_scanned_frames(f: BinaryIO, offset: int, file_size: int) -> int:
    """Audio frames of an MP3 counted by walking its frame headers (bounded reads), up to the first non-frame.

    For files without a length tag, whose length libsndfile would only estimate from the bit rate."""
    samples = 0
    position = offset
    buffer, buffer_start = b"", offset
    while position + 4 <= file_size:
        if position + 4 > buffer_start + len(buffer):
            f.seek(position)
            buffer, buffer_start = f.read(1 << 16), position
        at = position - buffer_start
        frame = _mpeg_frame(buffer[at : at + 4])
        if frame is None:
            break
        length, per_frame = frame
        if position + length > file_size:
            break  # a last frame cut short decodes to nothing
        samples += per_frame
        position += length
    return samples


def _ogg_codec(head: bytes) -> str:
    """The codec of an Ogg stream's first packet, from the first page ('Vorbis', 'Opus', …)."""
    if len(head) < 27:
        raise UnreadableAudioError("The file is truncated: it ends inside the Ogg page header.")
    start = 27 + head[26]
    packet = head[start : start + 8]
    for magic, name in _OGG_CODECS.items():
        if packet.startswith(magic):
            return name
    if len(packet) < 8:
        raise UnreadableAudioError("The file is truncated: it ends inside the first Ogg page.")
    return "an unknown codec"


def _id3v2_size(head: bytes) -> int | None:
    """Bytes taken by an ID3v2 tag at the start of ``head`` (header, body, footer), None if there is none."""
    if len(head) < 10 or head[:3] != b"ID3" or head[3] == 0xFF or any(b & 0x80 for b in head[6:10]):
        return None
    size = (head[6] << 21) | (head[7] << 14) | (head[8] << 7) | head[9]  # synchsafe integer
    return 10 + size + (10 if head[5] & 0x10 else 0)


_MAGICS = (b"RIFF", b"RF64", _W64_RIFF, b"FORM", b"fLaC", b"OggS", b"ID3")
"""Magic numbers a file shorter than its header may be the start of (a truncated file, not an unknown one)."""


def sniff(f: BinaryIO, file_size: int) -> Sniffed:
    """Name the container of an open file from its first bytes.

    Raises UnsupportedFormatError (no known magic number), UnsupportedEncodingError
    (an Ogg stream of a codec that is not read) or UnreadableAudioError (too short
    to tell).
    """
    offset = 0
    for _ in range(_MAX_ID3_TAGS):
        f.seek(offset)
        head = f.read(_HEAD_BYTES)
        tag = _id3v2_size(head)
        if tag is None:
            break
        offset += tag
        if offset >= file_size:
            raise UnreadableAudioError("The file holds only an ID3 tag, no audio.")
    if offset:  # after ID3 tags: MP3 (or, rarely, FLAC or raw AAC)
        if head[:4] == b"fLaC":
            return Sniffed("FLAC", "FLAC", offset)
        if _is_mpeg_audio_frame(head):
            return Sniffed("MP3", None, offset)
        if _is_adts(head):
            raise UnsupportedFormatError(
                f"The file holds raw AAC (ADTS) without an MP4 container; the formats read are {FORMATS_READ}."
            )
        raise UnreadableAudioError("The file starts with an ID3 tag but no MP3 audio follows it.")
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return Sniffed("WAV")
    if head[:4] == b"RF64" and head[8:12] == b"WAVE":
        return Sniffed("RF64")
    if head[:16] == _W64_RIFF and head[24:40] == _W64_WAVE:
        return Sniffed("W64")
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return Sniffed(head[8:12].decode("ascii"))
    if head[:4] == b"fLaC":
        return Sniffed("FLAC", "FLAC")
    if head[:4] == b"OggS":
        codec = _ogg_codec(head)
        if codec not in _OGG_CODECS_READ:
            raise UnsupportedEncodingError(f"The Ogg file holds {codec}; only Vorbis and Opus are read from Ogg.")
        return Sniffed("OGG", codec)
    if head[4:8] == b"ftyp":
        return Sniffed("MP4")
    if _is_mpeg_audio_frame(head):
        return Sniffed("MP3")
    if _is_adts(head):
        raise UnsupportedFormatError(
            f"The file holds raw AAC (ADTS) without an MP4 container; the formats read are {FORMATS_READ}."
        )
    if file_size < 40 and any(m.startswith(head[: len(m)]) for m in _MAGICS if head):
        raise UnreadableAudioError("The file is truncated: it ends inside its header.")
    raise UnsupportedFormatError(f"The file is not in an audio format that is read ({FORMATS_READ}).")


# ── WAV header walk ─────────────────────────────────────────────────────────


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
        elif container in ("AIFF", "AIFC"):
            chunk_id, size = raw[:4], struct.unpack(">I", raw[4:8])[0]
        else:
            chunk_id, size = raw[:4], struct.unpack("<I", raw[4:8])[0]
        yield chunk_id, size, offset + header
        offset += header + size + (-size % align if container == "W64" else size % align)


def _parse_header(f: BinaryIO, file_size: int, container: str) -> _Header:
    """Walk the chunks up to ``fmt `` and ``data``; raise the matching audio error on anything odd."""
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
    check_layout("WAV", h.channels, h.sample_rate)
    if h.data_size is not None and h.data_size > h.data_available:
        raise UnreadableAudioError(
            f"The file is truncated: its header announces {h.data_size} bytes of audio "
            f"but only {h.data_available} are present."
        )


def check_layout(name: str, channels: int, sample_rate: int) -> None:
    """Refuse a channel count or sample rate outside what the engine reads (UnreadableAudioError)."""
    if not 1 <= channels <= MAX_CHANNELS:
        raise UnreadableAudioError(
            f"The {name} header declares {channels} channels (1 to {MAX_CHANNELS} are supported)."
        )
    if not MIN_SAMPLE_RATE_HZ <= sample_rate <= MAX_SAMPLE_RATE_HZ:
        raise UnreadableAudioError(
            f"The {name} header declares a sample rate of {sample_rate} Hz "
            f"({MIN_SAMPLE_RATE_HZ}–{MAX_SAMPLE_RATE_HZ} Hz are supported)."
        )


def _aifc_compression(f: BinaryIO, file_size: int) -> bytes | None:
    """The compression type of an AIFF-C file's COMM chunk (None when there is no such chunk)."""
    for chunk_id, size, payload in _chunks(f, "AIFC", file_size):
        if chunk_id == b"COMM":
            if size < 22:
                return None
            f.seek(payload + 18)
            return _read_exact(f, 4, "AIFF-C common chunk")
    return None


# ── the public API ──────────────────────────────────────────────────────────


def _open_info(path: str | os.PathLike[str], name: str) -> sf._SoundFileInfo:
    try:
        return sf.info(os.fspath(path))
    except (RuntimeError, ValueError, TypeError) as exc:
        raise UnreadableAudioError(f"The {name} file could not be decoded (damaged or inconsistent header).") from exc


def _bit_rate_kbps(file_size: int, duration_s: float) -> float:
    """Average bit rate of a compressed file (headers and tags included), kbit/s."""
    return round(file_size * 8 / duration_s / 1000, 1)


def _probe_sndfile(path: str | os.PathLike[str], sniffed: Sniffed, file_size: int) -> AudioInfo:
    """Describe a file libsndfile reads, after checking what its header says."""
    name = _CONTAINER_NAMES[sniffed.container]
    channel_mask: int | None = None
    with open(path, "rb") as f:
        if sniffed.container in ("WAV", "RF64", "W64"):
            header = _parse_header(f, file_size, sniffed.container)
            _check_header(header)
            channel_mask = header.channel_mask
        elif sniffed.container == "AIFC":
            kind = _aifc_compression(f, file_size)
            if kind is not None and kind not in _AIFC_PCM_TYPES:
                printable = kind.isascii() and kind.decode("ascii").isprintable() and kind.strip()
                codec = _AIFC_CODEC_NAMES.get(kind) or (
                    f"'{kind.decode('ascii')}'" if printable else "an unknown compression type"
                )
                raise UnsupportedEncodingError(
                    f"The AIFF-C file is encoded as {codec}; only PCM (8/16/24/32-bit) and IEEE float "
                    "(32/64-bit) are supported."
                )
    info = _open_info(path, name)
    subtype = str(info.subtype)
    frames = int(info.frames)
    if sniffed.container == "MP3":
        with open(path, "rb") as f:
            if not _mp3_states_its_length(f, sniffed.offset):
                # libsndfile estimates the length of such a file from its first bit rate and stops reading there;
                # the frames are counted instead, and FFmpeg's decoder (which reads to the end) decodes it
                frames = _mp3_scanned_frames(f, sniffed.offset, file_size)
                subtype = MP3_WITHOUT_LENGTH
    fmt = sniffed.container
    lossy_codec = _LOSSY_SUBTYPES.get(str(info.subtype))
    bit_depth = _SUBTYPE_BIT_DEPTH.get(str(info.subtype))
    if lossy_codec is None and bit_depth is None:
        raise UnsupportedEncodingError(
            f"The {name} file is encoded as {info.subtype_info or subtype}; "
            "only PCM (8/16/24/32-bit) and IEEE float (32/64-bit) are supported."
        )
    if lossy_codec is not None and fmt not in ("MP3", "OGG"):
        raise UnsupportedEncodingError(f"The {name} file holds {lossy_codec} audio, which is not read from {name}.")
    check_layout(name, int(info.channels), int(info.samplerate))
    if frames <= 0:
        raise UnreadableAudioError("The file holds no audio frames.")
    if fmt == "FLAC":
        codec = "FLAC"
    elif lossy_codec is not None:
        codec = lossy_codec
    else:
        codec = "IEEE float" if subtype in _FLOAT_SUBTYPES else "PCM"
    duration_s = frames / info.samplerate
    bit_rate = _bit_rate_kbps(file_size - sniffed.offset, duration_s) if lossy_codec else None
    return AudioInfo(
        sample_rate=int(info.samplerate),
        channels=int(info.channels),
        bit_depth=None if lossy_codec else bit_depth,
        duration_s=duration_s,
        frames=frames,
        format=fmt,
        subtype=subtype,
        channel_mask=channel_mask,
        codec=codec,
        lossy=lossy_codec is not None,
        bit_rate_kbps=bit_rate,
        lowpass_hz=codec_lowpass_hz(codec, bit_rate, channels=int(info.channels)),
    )


def probe(path: str | os.PathLike[str], *, max_duration_s: float | None = None) -> AudioInfo:
    """Check an audio file and describe it (format, codec, rate, channels, length), without decoding its audio.

    Raises UnsupportedFormatError (a container that is not read), UnsupportedEncodingError
    (a known container holding a codec that is not read: ADPCM, µ-law, Speex…) or
    UnreadableAudioError (empty, truncated, zero frames, absurd header, longer than
    ``max_duration_s`` seconds).
    """
    try:
        file_size = os.path.getsize(path)
        if file_size == 0:
            raise UnreadableAudioError("The file is empty.")
        with open(path, "rb") as f:
            sniffed = sniff(f, file_size)
        if sniffed.container in _SNDFILE_CONTAINERS:
            info = _probe_sndfile(path, sniffed, file_size)
        else:
            from amt.analysis import decode_av  # FFmpeg's libraries load only for MP4 files

            info = decode_av.probe_mp4(path, file_size)
    except OSError as exc:
        raise UnreadableAudioError("The file could not be read.") from exc
    if max_duration_s is not None and info.duration_s > max_duration_s:
        raise UnreadableAudioError(
            f"The audio lasts {info.duration_s:.0f} s, longer than the {max_duration_s:.0f} s limit."
        )
    return info


def check_float_block(block: np.ndarray) -> None:
    """Refuse a decoded block holding NaN/Inf or samples beyond ±MAX_FLOAT_SAMPLE (UnreadableAudioError)."""
    low, high = float(block.min()), float(block.max())  # NaN propagates through min/max
    if not (np.isfinite(low) and np.isfinite(high)):
        raise UnreadableAudioError("The audio contains NaN or infinite sample values.")
    if max(-low, high) > MAX_FLOAT_SAMPLE:
        raise UnreadableAudioError(
            f"The audio contains float sample values beyond ±{MAX_FLOAT_SAMPLE:g} (+60 dBFS): the data is damaged."
        )


LOSSY_LENGTH_SLACK_FRAMES = 4096
"""How many frames a lossy stream may decode short of its announced length — at least this, and up to one second
(encoders write the length into the container: an Ogg page's granule position, an MP3 header; seen on released Ogg
files, 104 to 5 806 frames more than the stream decodes to): the rest is read as silence."""


def block_step(channels: int, block_frames: int) -> int:
    """Frames per decoded block: ``block_frames``, fewer for many channels (frames × channels ≤ the budget)."""
    return max(1, min(int(block_frames), _MAX_BLOCK_SAMPLES // channels))


def iter_blocks(
    path: str | os.PathLike[str], *, info: AudioInfo | None = None, block_frames: int = 1 << 20
) -> Iterator[np.ndarray]:
    """Decode an audio file (checked with :func:`probe`) as float32 (frames, channels) blocks.

    Full scale is 1.0. Blocks hold at most ``block_frames`` frames (fewer for many
    channels, to bound memory) and, together, exactly ``info.frames``. ``info`` is the
    file's :func:`probe`, when the caller has it already (the file is then probed once);
    without it the file is probed here. This is where the audio is checked: raises
    UnreadableAudioError when it ends early or holds NaN/Inf or float samples beyond
    ±``MAX_FLOAT_SAMPLE``, so every block yielded is finite and the blocks are complete.
    """
    if info is None:
        info = probe(path)
    if info.format not in _SNDFILE_CONTAINERS or info.subtype == MP3_WITHOUT_LENGTH:
        from amt.analysis import decode_av

        yield from decode_av.iter_av_blocks(path, info, block_frames=block_step(info.channels, block_frames))
        return
    is_float = info.subtype in _FLOAT_SUBTYPES or info.lossy  # PCM decodes within ±1 by construction
    step = block_step(info.channels, block_frames)
    seen = 0
    try:
        with sf.SoundFile(os.fspath(path)) as f:
            while seen < info.frames:
                block = f.read(min(step, info.frames - seen), dtype="float32", always_2d=True)
                if block.shape[0] == 0:
                    break
                if is_float:
                    check_float_block(block)
                seen += block.shape[0]
                yield block
    except (RuntimeError, ValueError, TypeError) as exc:
        raise UnreadableAudioError("The audio data could not be decoded (damaged file).") from exc
    if info.lossy and 0 < info.frames - seen <= max(LOSSY_LENGTH_SLACK_FRAMES, info.sample_rate):
        # A lossy stream's length comes from its container and may announce more than the decoder gives back.
        yield np.zeros((info.frames - seen, info.channels), dtype=np.float32)
        seen = info.frames
    if seen != info.frames:
        raise UnreadableAudioError(
            f"The file is truncated: its header announces {info.frames} frames but only {seen} could be read."
        )


def read(path: str | os.PathLike[str], *, max_duration_s: float | None = None) -> tuple[np.ndarray, AudioInfo]:
    """Decode a whole file: float32 array (frames, channels) and its :class:`AudioInfo`.

    For tests and short files; long files should go through :func:`iter_blocks`.
    """
    info = probe(path, max_duration_s=max_duration_s)
    blocks = list(iter_blocks(path, info=info))
    data = blocks[0] if len(blocks) == 1 else np.concatenate(blocks)
    return np.ascontiguousarray(data), info


probe_wav = probe
"""Former name of :func:`probe`, from when only WAV was read."""
read_wav = read
"""Former name of :func:`read`."""


TAG_NAMES = ("title", "artist", "album", "date", "genre", "comment", "copyright", "license")
"""The text tags :func:`read_tags` returns (libsndfile's string fields; Vorbis comments in Ogg)."""


def read_tags(path: str | os.PathLike[str]) -> dict[str, str]:
    """The file's own text tags that libsndfile reads (title, artist, genre …), empty ones left out; {} when the
    format carries none or the file cannot be opened."""
    try:
        with sf.SoundFile(os.fspath(path)) as f:
            tags = f.copy_metadata()
    except (sf.LibsndfileError, RuntimeError, OSError):
        return {}
    return {k: v.strip() for k, v in tags.items() if k in TAG_NAMES and isinstance(v, str) and v.strip()}
