"""The WAV decoder: encodings, containers, channel layouts and every refusal (SPEC §4, Decoding)."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from analysis.decode import iter_blocks, probe_wav, read_wav
from utils.errors import UnreadableAudioError, UnsupportedEncodingError, UnsupportedFormatError

SR = 48000


def signal(frames: int = SR, channels: int = 2) -> np.ndarray:
    """A 440 Hz sine at 0.5 on every channel, channel c scaled by 1/(c+1)."""
    x = 0.5 * np.sin(2 * np.pi * 440 * np.arange(frames) / SR)
    return np.stack([x / (c + 1) for c in range(channels)], axis=1)


@pytest.mark.parametrize(
    ("subtype", "bit_depth", "tolerance"),
    [
        ("PCM_U8", 8, 1 / 64),
        ("PCM_16", 16, 1 / 16384),
        ("PCM_24", 24, 1e-6),
        ("PCM_32", 32, 1e-7),  # float32 output: 24-bit mantissa
        ("FLOAT", 32, 1e-7),
        ("DOUBLE", 64, 1e-7),
    ],
)
def test_pcm_and_float_encodings(tmp_path: Path, subtype: str, bit_depth: int, tolerance: float) -> None:
    x = signal()
    path = tmp_path / "a.wav"
    sf.write(path, x, SR, subtype=subtype, format="WAV")
    data, info = read_wav(path)
    assert data.dtype == np.float32 and data.shape == (SR, 2)
    assert np.abs(data - x).max() <= tolerance
    assert (info.sample_rate, info.channels, info.bit_depth, info.frames) == (SR, 2, bit_depth, SR)
    assert info.duration_s == pytest.approx(1.0)
    assert (info.format, info.subtype) == ("WAV", subtype)


@pytest.mark.parametrize(("container", "expected"), [("RF64", "RF64"), ("W64", "W64"), ("WAVEX", "WAV")])
def test_other_containers(tmp_path: Path, container: str, expected: str) -> None:
    path = tmp_path / "a.wav"
    sf.write(path, signal(), SR, subtype="PCM_24", format=container)
    data, info = read_wav(path)
    assert info.format == expected and info.bit_depth == 24
    assert np.abs(data - signal()).max() < 1e-6


@pytest.mark.parametrize("channels", [1, 6])
def test_mono_and_5_1(tmp_path: Path, channels: int) -> None:
    path = tmp_path / "a.wav"
    sf.write(path, signal(channels=channels), 44100, subtype="PCM_16")
    data, info = read_wav(path)
    assert data.shape == (SR, channels) and info.channels == channels and info.sample_rate == 44100
    assert np.abs(data[:, -1] - signal(channels=channels)[:, -1]).max() < 1e-4  # order kept


def test_blocks_cover_the_file_in_order(tmp_path: Path) -> None:
    path = tmp_path / "a.wav"
    x = signal(frames=250_001)
    sf.write(path, x, SR, subtype="FLOAT")
    blocks = list(iter_blocks(path, block_frames=100_000))
    assert [b.shape[0] for b in blocks] == [100_000, 100_000, 50_001]
    assert all(b.dtype == np.float32 and b.shape[1] == 2 for b in blocks)
    np.testing.assert_array_equal(np.concatenate(blocks), x.astype(np.float32))


def test_nan_and_inf_are_unreadable(tmp_path: Path) -> None:
    x = signal()
    x[1000, 0] = np.nan
    x[2000, 1] = np.inf
    path = tmp_path / "nan.wav"
    sf.write(path, x, SR, subtype="FLOAT")
    with pytest.raises(UnreadableAudioError, match="NaN"):
        read_wav(path)


def test_truncated_file_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "a.wav"
    sf.write(path, signal(), SR, subtype="PCM_16")
    data = path.read_bytes()
    cut = tmp_path / "cut.wav"
    cut.write_bytes(data[:-1001])
    with pytest.raises(UnreadableAudioError, match="truncated"):
        probe_wav(cut)
    with pytest.raises(UnreadableAudioError, match="truncated"):
        list(iter_blocks(cut))


def test_text_file_named_wav_is_not_a_wav(tmp_path: Path) -> None:
    path = tmp_path / "notes.wav"
    path.write_text("These are my mix notes, not audio.\n" * 10)
    with pytest.raises(UnsupportedFormatError, match="not a WAV"):
        probe_wav(path)


def test_other_audio_formats_are_not_wav(tmp_path: Path) -> None:
    path = tmp_path / "song.wav"
    sf.write(path, signal(), SR, format="FLAC")
    with pytest.raises(UnsupportedFormatError, match="not a WAV"):
        probe_wav(path)


@pytest.mark.parametrize(("subtype", "name"), [("ULAW", "µ-law"), ("ALAW", "A-law"), ("IMA_ADPCM", "IMA ADPCM"),
                                               ("MS_ADPCM", "Microsoft ADPCM")])  # fmt: skip
def test_compressed_encodings_are_unsupported(tmp_path: Path, subtype: str, name: str) -> None:
    path = tmp_path / "a.wav"
    sf.write(path, signal(), SR, subtype=subtype, format="WAV")
    with pytest.raises(UnsupportedEncodingError, match=name):
        probe_wav(path)


def wav_header(tag: int, channels: int, sample_rate: int, bits: int, data_bytes: int) -> bytes:
    """A canonical 44-byte RIFF/WAVE header."""
    block_align = channels * bits // 8
    fmt = struct.pack("<HHIIHH", tag, channels, sample_rate, sample_rate * block_align, block_align, bits)
    return (
        b"RIFF" + struct.pack("<I", 36 + data_bytes) + b"WAVE"
        + b"fmt " + struct.pack("<I", 16) + fmt
        + b"data" + struct.pack("<I", data_bytes)
    )  # fmt: skip


def test_mp3_in_wav_is_unsupported(tmp_path: Path) -> None:
    path = tmp_path / "mp3.wav"
    path.write_bytes(wav_header(0x0055, 2, 44100, 0, 400) + bytes(400))
    with pytest.raises(UnsupportedEncodingError, match="MP3"):
        probe_wav(path)


def test_empty_and_header_only_files_are_unreadable(tmp_path: Path) -> None:
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    with pytest.raises(UnreadableAudioError, match="empty"):
        probe_wav(empty)
    header_only = tmp_path / "header.wav"
    header_only.write_bytes(wav_header(1, 2, SR, 16, 0))
    with pytest.raises(UnreadableAudioError, match="no audio frames"):
        probe_wav(header_only)
    promised = tmp_path / "promised.wav"
    promised.write_bytes(wav_header(1, 2, SR, 16, 1_000_000))
    with pytest.raises(UnreadableAudioError, match="truncated"):
        probe_wav(promised)


@pytest.mark.parametrize(
    ("channels", "sample_rate", "match"),
    [(0, SR, "0 channels"), (500, SR, "500 channels"), (2, 4000, "4000 Hz"), (2, 768000, "768000 Hz")],
)
def test_absurd_headers_are_refused_before_reading(tmp_path: Path, channels: int, sample_rate: int, match: str) -> None:
    path = tmp_path / "odd.wav"
    path.write_bytes(wav_header(1, channels, sample_rate, 16, 400) + bytes(400))
    with pytest.raises(UnreadableAudioError, match=match):
        probe_wav(path)


def test_garbage_after_riff_magic_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "garbage.wav"
    path.write_bytes(b"RIFF" + struct.pack("<I", 1000) + b"WAVE" + bytes(range(256)) * 4)
    with pytest.raises(UnreadableAudioError):
        probe_wav(path)


def test_too_long_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "a.wav"
    sf.write(path, signal(frames=3 * SR), SR, subtype="PCM_16")
    assert probe_wav(path, max_duration_s=3.0).duration_s == pytest.approx(3.0)
    with pytest.raises(UnreadableAudioError, match="limit"):
        probe_wav(path, max_duration_s=2.5)
    with pytest.raises(UnreadableAudioError, match="limit"):
        read_wav(path, max_duration_s=2.5)


def test_messages_never_contain_the_path(tmp_path: Path) -> None:
    path = tmp_path / "secret-folder-name.wav"
    path.write_bytes(b"RIFF" + struct.pack("<I", 1000) + b"WAVE" + b"junk" * 8)
    with pytest.raises(UnreadableAudioError) as info:
        probe_wav(path)
    assert "secret-folder-name" not in str(info.value) and str(tmp_path) not in str(info.value)


def test_engine_end_to_end(tmp_path: Path) -> None:
    """decode → engine, once the spectral half of the engine exists."""
    pytest.importorskip("analysis.spectral", reason="analysis/spectral.py is not written yet")
    from analysis.engine import analyze_blocks

    path = tmp_path / "a.wav"
    x = 10 ** (-23 / 20) * np.sin(2 * np.pi * 1000 * np.arange(10 * SR) / SR)
    sf.write(path, np.stack([x, x], 1), SR, subtype="PCM_24")
    result = analyze_blocks(iter_blocks(path), probe_wav(path))
    assert result.overall.integrated_lufs == pytest.approx(-23.0, abs=0.1)
    assert result.audio.bit_depth == 24
