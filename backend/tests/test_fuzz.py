"""Hostile input: thousands of mutated WAV headers and bodies, and mutated AIFF, FLAC, MP3, Ogg (Vorbis, Opus)
and M4A (AAC, ALAC) headers and frames, against the decoder and ``POST /api/analyze``.

Every input must end in a clear refusal (an :class:`amt.analysis.errors.AudioError`, 400/415 over HTTP)
or in a correct analysis — never another exception, a 500, a hang or a memory blow-up. The
decoder runs in-process (2000 examples); a few hundred go through a real uvicorn server, whose
answers must agree with the in-process decoder and leave no temporary file behind.
"""

from __future__ import annotations

import io
import math
import signal
import struct
import tempfile
import tracemalloc
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from types import FrameType
from typing import Literal

import httpx
import numpy as np
import pytest
import soundfile as sf
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, func, select

from amt.analysis.decode import MAX_FLOAT_SAMPLE, iter_blocks, probe_wav
from amt.analysis.engine import analyze_blocks
from amt.analysis.errors import AudioError, UnreadableAudioError, UnsupportedEncodingError, UnsupportedFormatError
from amt.analysis.result import AudioInfo
from amt.api.models import Analysis
from helpers import LiveServer, run_server, write_m4a

MAX_DURATION_S = 30.0
MEMORY_LIMIT_BYTES = 160 * 1024 * 1024
"""Peak Python/numpy allocation allowed for one small (< 64 kB) input: the decoder bounds a block at 16 MB."""
HANG_LIMIT_S = 30
"""An input whose decoding takes this long is reported as a hang (inputs are tiny: a few ms is normal)."""

ByteOrder = Literal["little", "big"]
KS_TAIL = bytes.fromhex("000000001000800000aa00389b71")
STATUS = {UnreadableAudioError: 400, UnsupportedFormatError: 415, UnsupportedEncodingError: 415}


# ── building hostile WAVs ───────────────────────────────────────────────────


def chunk(chunk_id: bytes, payload: bytes, *, declared: int | None = None) -> bytes:
    """A RIFF chunk; ``declared`` overrides the size field; odd payloads get their pad byte."""
    size = len(payload) if declared is None else declared
    return chunk_id + struct.pack("<I", size & 0xFFFFFFFF) + payload + (b"\0" if len(payload) % 2 else b"")


@dataclass(frozen=True)
class WavSpec:
    """Every field of a RIFF/WAVE file that a hostile client controls."""

    magic: bytes
    riff_size: int | None
    tag: int
    channels: int
    sample_rate: int
    bits: int
    block_align: int | None
    byte_rate: int | None
    fmt_size: int
    sub_tag: int
    sub_tail: bytes
    order: tuple[str, ...]
    data: bytes
    data_declared: int | None
    cut: float | None
    trailing: bytes

    def build(self) -> bytes:
        align = self.block_align if self.block_align is not None else self.channels * self.bits // 8
        rate = self.byte_rate if self.byte_rate is not None else self.sample_rate * align
        fmt = struct.pack(
            "<HHIIHH",
            self.tag,
            self.channels & 0xFFFF,
            self.sample_rate & 0xFFFFFFFF,
            rate & 0xFFFFFFFF,
            align & 0xFFFF,
            self.bits & 0xFFFF,
        )
        ext = struct.pack("<HHI", 22, self.bits & 0xFFFF, 0x3) + struct.pack("<H", self.sub_tag) + self.sub_tail
        fmt = (fmt + ext)[: self.fmt_size] if self.fmt_size <= 40 else fmt + ext + bytes(self.fmt_size - 40)
        parts = {
            "fmt": chunk(b"fmt ", fmt),
            "data": chunk(b"data", self.data, declared=self.data_declared),
            "list": chunk(b"LIST", b"INFOISFT" + struct.pack("<I", 5) + b"fuzz\0"),
            "odd": chunk(b"junk", b"abc"),
            "huge": chunk(b"junk", b"", declared=0xFFFFFFF0),
            "empty": chunk(b"    ", b""),
        }
        body = b"WAVE" + b"".join(parts[name] for name in self.order)
        riff_size = len(body) if self.riff_size is None else self.riff_size
        raw = self.magic + struct.pack("<I", riff_size & 0xFFFFFFFF) + body + self.trailing
        return raw[: int(len(raw) * self.cut)] if self.cut is not None else raw


def interesting_ints(bits: int, *typical: int) -> st.SearchStrategy[int]:
    """Mostly the typical values (when given), else edge values and anything that fits in ``bits``."""
    top = (1 << bits) - 1
    edges = [0, 1, 2, 3, 7, 8, 255, 256, top - 1, top, top >> 1, (top >> 1) + 1]
    hostile = st.one_of(st.sampled_from(edges), st.integers(0, top))
    if not typical:
        return hostile
    return st.one_of(st.sampled_from(typical), st.sampled_from(typical), st.sampled_from(typical), hostile)


HOSTILE_ORDERS = [
    ("fmt", "list", "data"), ("list", "odd", "fmt", "data", "list"), ("data", "fmt"), ("fmt", "fmt", "data"),
    ("fmt",), ("data",), ("fmt", "huge", "data"), ("fmt", "data", "huge"), ("empty", "fmt", "empty", "data"),
]  # fmt: skip
FAULTS: dict[str, st.SearchStrategy[object]] = {
    "magic": st.sampled_from([b"RF64", b"RIFX", b"riff", b"WAVE", b""]),
    "riff_size": interesting_ints(32),
    "tag": interesting_ints(16, 2, 6, 7, 0x11, 0x55, 0xFF, 0),
    "channels": interesting_ints(16, 0, 65, 256, 0xFFFF),
    "sample_rate": interesting_ints(32, 0, 1, 7999, 384001, 0xFFFFFFFF),
    "bits": interesting_ints(16, 0, 1, 4, 12, 20, 48, 128),
    "block_align": interesting_ints(16),
    "byte_rate": interesting_ints(32),
    "fmt_size": st.sampled_from([18, 40, 0, 2, 14, 24, 39, 60]),
    "sub_tag": interesting_ints(16, 2, 0x55, 0),
    "sub_tail": st.binary(min_size=14, max_size=14),
    "order": st.one_of(
        st.sampled_from(HOSTILE_ORDERS),
        st.lists(st.sampled_from(["fmt", "data", "list", "odd", "huge", "empty"]), max_size=6).map(tuple),
    ),
    "data_declared": interesting_ints(32, 0, 0xFFFFFFFF, 0xFFFFFFFE, 1),
    "cut": st.floats(0.0, 1.0),
    "trailing": st.binary(min_size=1, max_size=64),
}
"""Each field a hostile client controls, with the values that break it."""


@st.composite
def wav_specs(draw: st.DrawFn) -> WavSpec:
    """A plausible WAV (PCM or float, plain or extensible, 1–64 channels, 8–384 kHz) with 0–3 fields broken."""
    tag = draw(st.sampled_from([1, 3, 0xFFFE]))
    sub_tag = draw(st.sampled_from([1, 3])) if tag == 0xFFFE else 1
    bits = draw(st.sampled_from([8, 16, 24, 32] if 1 in (tag, sub_tag) and tag != 3 else [32, 64]))
    channels = draw(st.sampled_from([1, 2, 2, 3, 6, 64]))
    frames = draw(st.integers(1, 3000)) if draw(st.integers(0, 9)) else 0
    fields: dict[str, object] = {
        "magic": b"RIFF", "riff_size": None, "tag": tag, "channels": channels,
        "sample_rate": draw(st.sampled_from([8000, 22050, 44100, 48000, 96000, 384000])), "bits": bits,
        "block_align": None, "byte_rate": None, "fmt_size": 40 if tag == 0xFFFE else draw(st.sampled_from([16, 18])),
        "sub_tag": sub_tag, "sub_tail": KS_TAIL, "order": ("fmt", "data"), "data_declared": None, "cut": None,
        "trailing": b"",
    }  # fmt: skip
    for name in draw(st.lists(st.sampled_from(sorted(FAULTS)), max_size=3, unique=True)):
        fields[name] = draw(FAULTS[name])
    align = max(1, channels * bits // 8)
    data_len = min(frames * align, 60_000)
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    if 3 in (tag, sub_tag) and draw(st.integers(0, 4)):  # mostly finite floats around full scale
        data = rng.uniform(-1.5, 1.5, data_len // (bits // 8)).astype(f"<f{bits // 8}").tobytes()
        data += bytes(data_len - len(data))
    else:
        data = rng.integers(0, 256, data_len, dtype=np.uint8).tobytes()
    return WavSpec(data=data, **fields)  # type: ignore[arg-type]


def _encoded(data: np.ndarray, sr: int, subtype: str, fmt: str) -> bytes:
    buf = io.BytesIO()
    sf.write(buf, data, sr, subtype=subtype, format=fmt)
    return buf.getvalue()


def _seed_files() -> list[bytes]:
    rng = np.random.default_rng(7)
    x = (0.3 * rng.standard_normal((2400, 2))).clip(-1, 1)
    return [
        _encoded(x, 48000, "PCM_16", "WAV"),
        _encoded(x, 44100, "PCM_24", "WAV"),
        _encoded(x[:, :1], 8000, "PCM_U8", "WAV"),
        _encoded(x, 96000, "FLOAT", "WAV"),
        _encoded(x, 48000, "DOUBLE", "WAV"),
        _encoded(np.repeat(x, 3, axis=1), 48000, "PCM_32", "WAVEX"),
        _encoded(x, 48000, "PCM_24", "RF64"),
        _encoded(x, 48000, "PCM_16", "W64"),
    ]


SEEDS = {f"WAV seed {i}": raw for i, raw in enumerate(_seed_files())}
EDGE_WORDS = [0, 1, 2, 0x7FFF, 0x8000, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 44100, 384001]


@st.composite
def mutated(
    draw: st.DrawFn,
    seeds: dict[str, bytes],
    *,
    ops: tuple[str, ...],
    spans: tuple[tuple[int, int | None], ...],
    byte_orders: tuple[ByteOrder, ...],
) -> bytes:
    """One of ``seeds`` (valid files) with 1–4 mutations, each one of ``ops`` (``word``: an edge value in one of
    ``byte_orders``; ``byte``; ``truncate``; ``insert`` or ``delete`` a run) at a position in one of ``spans``
    (from … to bytes, None: the end), so mostly in the header, where the structure is."""
    name = draw(st.sampled_from(sorted(seeds)))
    event(name)
    raw = bytearray(seeds[name])
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(ops))
        low, high = draw(st.sampled_from(spans))
        high = max(min(len(raw) if high is None else high, len(raw)), 1)
        pos = draw(st.integers(min(low, high - 1), high - 1))
        if op == "word":
            width = draw(st.sampled_from([2, 4, 8]))
            value = draw(st.sampled_from(EDGE_WORDS)) & ((1 << (8 * width)) - 1)
            order = draw(st.sampled_from(byte_orders)) if len(byte_orders) > 1 else byte_orders[0]
            raw[pos : pos + width] = value.to_bytes(width, order)
        elif op == "byte" and pos < len(raw):
            raw[pos] = draw(st.integers(0, 255))
        elif op == "truncate":
            del raw[pos:]
        elif op == "insert":
            raw[pos:pos] = draw(st.binary(min_size=1, max_size=16))
        else:
            del raw[pos : pos + draw(st.integers(1, 16))]
    return bytes(raw)


def mutated_seeds() -> st.SearchStrategy[bytes]:
    """A valid WAV (8 encodings and containers) with a few mutations; most of the structure is in the first 100
    bytes, and the first 12 are the magic, rarely worth breaking."""
    return mutated(
        SEEDS,
        ops=("word", "word", "byte", "truncate", "insert", "delete"),
        spans=((12, 100), (12, 100), (0, 100), (0, None)),
        byte_orders=("little",),
    )


hostile_wavs = st.one_of(wav_specs().map(WavSpec.build), mutated_seeds())


def _container_seeds() -> dict[str, bytes]:
    """One short valid file per container and codec the decoder reads besides WAV (0.1 s, stereo)."""
    rng = np.random.default_rng(8)
    x = (0.3 * rng.standard_normal((4800, 2))).clip(-1, 1)
    seeds = {
        "AIFF": _encoded(x, 44100, "PCM_16", "AIFF"),
        "AIFC float": _encoded(x, 48000, "FLOAT", "AIFF"),
        "FLAC 16": _encoded(x, 44100, "PCM_16", "FLAC"),
        "FLAC 24": _encoded(x[:, :1], 96000, "PCM_24", "FLAC"),
        "MP3": _encoded(x, 44100, "MPEG_LAYER_III", "MP3"),
        "Vorbis": _encoded(x, 44100, "VORBIS", "OGG"),
        "Opus": _encoded(x, 48000, "OPUS", "OGG"),
    }
    with tempfile.TemporaryDirectory() as folder:
        for codec in ("aac", "alac"):
            path = write_m4a(Path(folder) / f"seed.{codec}.m4a", x, 44100, codec)
            seeds[f"M4A {codec.upper()}"] = path.read_bytes()
    return seeds


CONTAINER_SEEDS = _container_seeds()


def mutated_containers() -> st.SearchStrategy[bytes]:
    """A valid AIFF/FLAC/MP3/Ogg/M4A file with a few mutations, in its header (first 200 bytes) or frames."""
    return mutated(
        CONTAINER_SEEDS,
        ops=("word", "word", "byte", "byte", "truncate", "insert", "delete"),
        spans=((4, 200), (4, 200), (0, None)),
        byte_orders=("big", "little"),
    )


# ── the oracle ──────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Outcome:
    """What the in-process decoder (and engine) made of an input."""

    status: int
    message: str = ""
    info: AudioInfo | None = None


class _HangError(Exception):
    pass


def _on_alarm(_signum: int, _frame: FrameType | None) -> None:
    raise _HangError


def check_message(message: str, where: str) -> None:
    """A refusal's words: a sentence, no server path, no traceback."""
    assert message and message[0].isupper() and message.rstrip().endswith((".", ")")), message
    assert where not in message and "/tmp" not in message and "Traceback" not in message, message


def decode_and_analyse(path: Path) -> Outcome:
    """Decode ``path`` fully and run the engine, as the service does; an expected refusal becomes its status."""
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.alarm(HANG_LIMIT_S)
    tracemalloc.start()
    try:
        info = probe_wav(path, max_duration_s=MAX_DURATION_S)
        blocks = list(iter_blocks(path))
        result = analyze_blocks(blocks, info)
    except AudioError as exc:
        check_message(exc.message, str(path.parent))
        event(exc.message.split(":")[0][:40])
        return Outcome(STATUS[type(exc)], exc.message)
    except _HangError:
        pytest.fail(f"decoding did not finish within {HANG_LIMIT_S} s (a hang)")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert peak < MEMORY_LIMIT_BYTES, f"{peak / 2**20:.0f} MB allocated for a {path.stat().st_size} byte file"

    # An accepted file: a sane description, blocks that cover it exactly, finite metrics.
    assert 1 <= info.channels <= 64 and 8000 <= info.sample_rate <= 384000, info
    assert info.bit_depth in (8, 16, 20, 24, 32, 64) or (info.lossy and info.bit_depth is None), info
    assert info.frames >= 1, info
    assert info.duration_s == pytest.approx(info.frames / info.sample_rate) and info.duration_s <= MAX_DURATION_S
    assert sum(b.shape[0] for b in blocks) == info.frames
    assert all(b.dtype == np.float32 and b.ndim == 2 and b.shape[1] == info.channels for b in blocks)
    if info.subtype.startswith("PCM"):
        assert all(np.abs(b).max(initial=0) <= 1.0 for b in blocks)
    assert result.audio == info
    for name, value in asdict(result.overall).items():
        assert value is None or math.isfinite(value), f"{name} = {value}"
    for band in result.bands:
        for name, value in asdict(band).items():
            assert not isinstance(value, float) or math.isfinite(value), f"{band.band}.{name} = {value}"
    event("accepted")
    return Outcome(201, info=info)


def pcm_oracle(spec: WavSpec, path: Path, outcome: Outcome) -> None:
    """A well-formed 16-bit PCM or 32-bit float file decodes to exactly its bytes."""
    canonical = (
        spec.magic == b"RIFF" and spec.order == ("fmt", "data") and spec.fmt_size in (16, 18) and spec.cut is None
        and (spec.tag, spec.bits) in ((1, 16), (3, 32)) and 1 <= spec.channels <= 64
        and 8000 <= spec.sample_rate <= 384000 and spec.block_align is None and not spec.trailing
        and spec.data_declared in (None, len(spec.data))
    )  # fmt: skip
    if not canonical:
        return
    align = spec.channels * spec.bits // 8
    frames = len(spec.data) // align
    if frames == 0:
        assert outcome.status == 400 and "no audio" in outcome.message
        return
    dtype = "<i2" if spec.tag == 1 else "<f4"
    raw = np.frombuffer(spec.data[: frames * align], dtype=dtype).reshape(frames, spec.channels)
    expected = raw / 32768.0 if spec.tag == 1 else raw
    if spec.tag == 3 and not np.isfinite(expected).all():
        assert outcome.status == 400 and "NaN" in outcome.message
        return
    if spec.tag == 3 and np.abs(expected).max() > MAX_FLOAT_SAMPLE:
        assert outcome.status == 400 and "beyond" in outcome.message
        return
    if frames / spec.sample_rate > MAX_DURATION_S:
        assert outcome.status == 400 and "limit" in outcome.message
        return
    assert outcome.status == 201, outcome.message
    assert outcome.info is not None and outcome.info.frames == frames
    assert (outcome.info.channels, outcome.info.sample_rate) == (spec.channels, spec.sample_rate)
    decoded = np.concatenate(list(iter_blocks(path)))
    np.testing.assert_allclose(decoded, expected.astype(np.float32), rtol=0, atol=0)


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="amt-fuzz-") as folder:
        yield Path(folder)


def fuzz(max_examples: int) -> settings:
    """Bounded, reproducible runs: no deadline per example (the first ones warm numpy and libsndfile up)."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        derandomize=True,  # the same inputs on every run, so CI never flakes; raise max_examples locally to explore
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
    )


# ── the decoder, in-process ─────────────────────────────────────────────────


@pytest.mark.slow
@fuzz(1000)
@given(spec=wav_specs())
def test_structured_hostile_headers_are_refused_clearly_or_decoded_exactly(scratch: Path, spec: WavSpec) -> None:
    path = scratch / "structured.wav"
    path.write_bytes(spec.build())
    outcome = decode_and_analyse(path)
    pcm_oracle(spec, path, outcome)


@pytest.mark.slow
@fuzz(1000)
@given(raw=mutated_seeds())
def test_mutated_real_files_are_refused_clearly_or_analysed(scratch: Path, raw: bytes) -> None:
    path = scratch / "mutated.wav"
    path.write_bytes(raw)
    decode_and_analyse(path)


@pytest.mark.slow
@fuzz(400)
@given(raw=mutated_containers())
def test_mutated_aiff_flac_mp3_ogg_and_m4a_are_refused_clearly_or_analysed(scratch: Path, raw: bytes) -> None:
    path = scratch / "mutated.audio"
    path.write_bytes(raw)
    decode_and_analyse(path)


@pytest.mark.parametrize("name", sorted(CONTAINER_SEEDS))
def test_every_container_seed_is_read(scratch: Path, name: str) -> None:
    """The fuzz above starts from files the decoder accepts (else it would only test refusals)."""
    path = scratch / "seed.audio"
    path.write_bytes(CONTAINER_SEEDS[name])
    info = probe_wav(path)
    assert sum(b.shape[0] for b in iter_blocks(path)) == info.frames >= 4700


_SIZE_SEED = np.random.default_rng(11).integers(-20000, 20000, size=(1200, 2)).astype(np.int16)
"""The audio of the chunk-size fuzz: 1200 stereo frames of 16-bit PCM, known exactly."""
SIZE_SEEDS = {name: _encoded(_SIZE_SEED / 32768.0, 48000, "PCM_16", name) for name in ("WAV", "RF64", "W64")}


def size_fields(raw: bytes, container: str) -> dict[str, tuple[int, int]]:
    """Every size field of a file written by libsndfile: name → (offset, width in bytes)."""
    fields: dict[str, tuple[int, int]] = {}
    if container == "W64":
        fields["riff"] = (16, 8)
        offset, header, width, id_len = 40, 24, 8, 16
    else:
        fields["riff"] = (4, 4)
        offset, header, width, id_len = 12, 8, 4, 4
    while offset + header <= len(raw):
        chunk_id = raw[offset : offset + 4].decode("latin-1").strip()
        size = int.from_bytes(raw[offset + id_len : offset + id_len + width], "little")
        fields[chunk_id] = (offset + id_len, width)
        if chunk_id == "ds64":
            fields["ds64 riff"], fields["ds64 data"], fields["ds64 frames"] = (offset + 8, 8), (offset + 16, 8), (
                offset + 24, 8)  # fmt: skip
        payload = size - header if container == "W64" else size
        if chunk_id == "data" and container == "RF64" and size == 0xFFFFFFFF:
            payload = int.from_bytes(raw[fields["ds64 data"][0] : fields["ds64 data"][0] + 8], "little")
        offset += header + payload + (-payload % 8 if container == "W64" else payload % 2)
    return fields


@st.composite
def resized_files(draw: st.DrawFn) -> tuple[str, str, int, bytes]:
    """A valid WAV, RF64 or W64 file with one size field set to anything it can hold: tiny (a Wave64
    size below its 24-byte header is a negative payload), off by a few bytes, huge, or random."""
    container = draw(st.sampled_from(sorted(SIZE_SEEDS)))
    raw = bytearray(SIZE_SEEDS[container])
    fields = size_fields(bytes(raw), container)
    name = draw(st.sampled_from(sorted(fields)))
    offset, width = fields[name]
    top = (1 << (8 * width)) - 1
    true = int.from_bytes(raw[offset : offset + width], "little")
    value = draw(st.one_of(
        st.integers(0, 48), st.integers(max(0, true - 8), min(top, true + 8)),
        st.sampled_from([top, top - 1, top >> 1, (top >> 1) + 1, 1 << 31, len(raw), len(raw) * 2]),
        st.integers(0, top),
    ))  # fmt: skip
    raw[offset : offset + width] = value.to_bytes(width, "little")
    return container, name, value, bytes(raw)


@pytest.mark.slow
@fuzz(600)
@given(case=resized_files())
def test_any_chunk_size_is_refused_clearly_or_decoded_exactly(scratch: Path, case: tuple[str, str, int, bytes]) -> None:
    """Every declared size of every chunk (RIFF, RF64 with its ds64, Wave64): a clear refusal, or the
    file's own samples — all of them or, when a size announces less audio, the first ones."""
    container, name, value, raw = case
    event(f"{container} {name}")
    path = scratch / "resized.wav"
    path.write_bytes(raw)
    outcome = decode_and_analyse(path)
    if outcome.status != 201:
        return
    decoded = np.concatenate(list(iter_blocks(path)))
    assert decoded.shape[1] == 2 and 1 <= decoded.shape[0] <= _SIZE_SEED.shape[0], (container, name, value)
    expected = (_SIZE_SEED[: decoded.shape[0]] / 32768.0).astype(np.float32)
    np.testing.assert_array_equal(decoded, expected, err_msg=f"{container} {name} = {value}")


@pytest.mark.parametrize("declared", [0, 1, 16, 22, 23])
def test_wave64_chunk_smaller_than_its_header_is_unreadable(tmp_path: Path, declared: int) -> None:
    """Regression: a Wave64 fmt size below 24 made a negative read length (0–22: a 500; 23: the whole file read)."""
    raw = bytearray(SIZE_SEEDS["W64"])
    offset, width = size_fields(bytes(raw), "W64")["fmt"]
    raw[offset : offset + width] = declared.to_bytes(width, "little")
    path = tmp_path / "tiny.w64"
    path.write_bytes(raw)
    with pytest.raises(UnreadableAudioError, match="Wave64 file is damaged"):
        probe_wav(path)


@pytest.mark.parametrize("subtype", ["FLOAT", "DOUBLE"])
def test_float_samples_far_beyond_full_scale_are_unreadable(tmp_path: Path, subtype: str) -> None:
    """Regression (found by the fuzz above): finite floats like 1e30 overflowed the meters into NaN/inf metrics."""
    x = 0.5 * np.sin(2 * np.pi * 440 * np.arange(48000) / 48000)
    hot = np.stack([x, 20 * x], axis=1)  # +20 dBFS peaks: a float mix over full scale is still audio
    sf.write(tmp_path / "hot.wav", hot, 48000, subtype=subtype)
    np.testing.assert_allclose(np.concatenate(list(iter_blocks(tmp_path / "hot.wav"))), hot, rtol=1e-6)
    broken = hot.copy()
    broken[1000, 1] = 1e30
    sf.write(tmp_path / "broken.wav", broken, 48000, subtype=subtype)
    with pytest.raises(UnreadableAudioError, match=r"beyond ±1000 \(\+60 dBFS\)"):
        list(iter_blocks(tmp_path / "broken.wav"))


# ── the same inputs over HTTP ───────────────────────────────────────────────


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    home = tmp_path_factory.mktemp("fuzz") / "home"
    with run_server(home, env={"MAX_UPLOAD_MB": "1", "MAX_DURATION_S": str(MAX_DURATION_S)}) as live:
        yield live


def _stored_analyses(server: LiveServer) -> int:
    engine = create_engine(f"sqlite:///{server.app_home / 'audio_mastering.db'}")
    try:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(Analysis)).scalar_one())
    finally:
        engine.dispose()


class HttpTally:
    """Accepted uploads counted during an HTTP fuzz run."""

    accepted = 0


def post_like_the_decoder(server: LiveServer, scratch: Path, raw: bytes, name: str, content_type: str) -> None:
    """POST ``raw`` as ``name`` and check the answer is the in-process decoder's: the same refusal in the same
    words, or an analysis of the same audio under a clean file name; and no temporary file left."""
    path = scratch / "http.audio"
    path.write_bytes(raw)
    expected = decode_and_analyse(path)
    with httpx.Client(base_url=server.url, timeout=60) as client:
        response = client.post("/api/analyze", files={"file": (name, raw, content_type)})
    assert response.status_code == expected.status, (response.status_code, response.text, expected)
    body = response.json()
    if response.status_code == 201:
        HttpTally.accepted += 1
        assert expected.info is not None
        audio = body["audio"]
        assert (audio["channels"], audio["sample_rate"], audio["codec"]) == (
            expected.info.channels, expected.info.sample_rate, expected.info.codec)  # fmt: skip
        assert "/" not in body["filename"] and "\\" not in body["filename"] and body["filename"].strip()
    else:
        assert body == {"detail": expected.message}
        check_message(body["detail"], str(server.app_home))
    assert list((server.app_home / "tmp").iterdir()) == []


@pytest.mark.slow
@fuzz(300)
@given(raw=hostile_wavs, name=st.text(max_size=40))
def test_http_answers_every_hostile_upload_like_the_decoder(
    server: LiveServer, scratch: Path, raw: bytes, name: str
) -> None:
    post_like_the_decoder(server, scratch, raw, name or "x.wav", "audio/wav")


@pytest.mark.slow
@fuzz(60)
@given(raw=mutated_containers(), name=st.sampled_from(["a.flac", "b.mp3", "c.ogg", "d.m4a", "e.aif", "f"]))
def test_http_answers_every_hostile_container_like_the_decoder(
    server: LiveServer, scratch: Path, raw: bytes, name: str
) -> None:
    post_like_the_decoder(server, scratch, raw, name, "application/octet-stream")


def test_http_fuzz_left_exact_rows_and_no_files(server: LiveServer) -> None:
    """Runs after the HTTP fuzz (file order): one row per 201, nothing in the upload folder."""
    assert _stored_analyses(server) == HttpTally.accepted
    assert list((server.app_home / "tmp").iterdir()) == []
    log = server.log_path.read_text(errors="replace")
    assert "Traceback" not in log and " 500 " not in log
