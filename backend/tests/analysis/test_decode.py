"""The decoder: WAV encodings, containers, channel layouts and every refusal (SPEC §4, Decoding).

The other formats (AIFF, FLAC, MP3, Ogg, M4A) are in test_decode_formats.py."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from test_td_levels import sine_loudness

from amt.analysis.decode import iter_blocks, probe_wav, read_wav
from amt.analysis.engine import analyze_blocks
from amt.analysis.errors import UnreadableAudioError, UnsupportedEncodingError, UnsupportedFormatError
from amt.analysis.result import AudioInfo

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


def test_text_file_named_wav_is_not_audio(tmp_path: Path) -> None:
    path = tmp_path / "notes.wav"
    path.write_text("These are my mix notes, not audio.\n" * 10)
    with pytest.raises(UnsupportedFormatError, match=r"not in an audio format that is read.*FLAC, MP3"):
        probe_wav(path)


def test_a_file_is_known_by_its_bytes_not_its_name(tmp_path: Path) -> None:
    path = tmp_path / "song.wav"
    sf.write(path, signal(), SR, format="FLAC", subtype="PCM_16")
    info = probe_wav(path)
    assert (info.format, info.codec, info.lossy, info.bit_depth) == ("FLAC", "FLAC", False, 16)


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
    """decode → engine."""
    path = tmp_path / "a.wav"
    x = 10 ** (-23 / 20) * np.sin(2 * np.pi * 1000 * np.arange(10 * SR) / SR)
    sf.write(path, np.stack([x, x], 1), SR, subtype="PCM_24")
    result = analyze_blocks(iter_blocks(path), probe_wav(path))
    assert result.overall.integrated_lufs == pytest.approx(-23.0, abs=0.1)
    assert result.audio.bit_depth == 24


def extensible_wav(path: Path, x: np.ndarray, sample_rate: int, mask: int) -> Path:
    """A 32-bit float WAVE_FORMAT_EXTENSIBLE file with channel mask ``mask``, written byte by byte."""
    channels = x.shape[1]
    align = 4 * channels
    fmt = struct.pack("<HHIIHH", 0xFFFE, channels, sample_rate, sample_rate * align, align, 32)
    fmt += struct.pack("<HHI", 22, 32, mask) + struct.pack("<H", 3) + bytes.fromhex("000000001000800000aa00389b71")
    data = x.astype("<f4").tobytes()
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    return path


def _tones(amplitudes: list[float], seconds: float = 5.0) -> np.ndarray:
    """997 Hz sines of the given amplitudes, one per channel."""
    t = np.arange(round(seconds * SR)) / SR
    return np.stack([a * np.sin(2 * np.pi * 997 * t + 0.3 * c) for c, a in enumerate(amplitudes)], axis=1)


@pytest.mark.parametrize(
    ("mask", "amplitudes", "weights"),
    [
        # 5.1 "back" (FL FR FC LFE BL BR): no side channels, so BL/BR are the ±110° surrounds, 1.41
        (0x3F, [0.1, 0.2, 0.15, 0.9, 0.3, 0.25], [1.0, 1.0, 1.0, None, 1.41, 1.41]),
        # 5.1 "side" (FL FR FC LFE SL SR)
        (0x60F, [0.1, 0.2, 0.15, 0.9, 0.3, 0.25], [1.0, 1.0, 1.0, None, 1.41, 1.41]),
        # 7.1 (FL FR FC LFE BL BR SL SR): the rears beyond 120° weigh 1.0, the sides 1.41
        (0x63F, [0.1, 0.1, 0.1, 0.9, 0.4, 0.4, 0.05, 0.05], [1.0, 1.0, 1.0, None, 1.0, 1.0, 1.41, 1.41]),
        # FL FR LFE BC: the LFE third, the back centre (180°) 1.0
        (0x10B, [0.2, 0.1, 0.9, 0.3], [1.0, 1.0, None, 1.0]),
    ],
)
def test_channel_mask_sets_bs1770_weights_by_speaker_position(
    tmp_path: Path, mask: int, amplitudes: list[float], weights: list[float | None]
) -> None:
    """Loudness against BS.1770-4 eq. (2) with the printed 48 kHz K-filter, G_i by Table 3; LFE excluded."""
    path = extensible_wav(tmp_path / "surround.wav", _tones(amplitudes), SR, mask)
    info = probe_wav(path)
    assert info.channel_mask == mask
    result = analyze_blocks(iter_blocks(path), info).overall
    counted = [(a, g) for a, g in zip(amplitudes, weights, strict=True) if g is not None]
    assert result.integrated_lufs == pytest.approx(sine_loudness(counted, 997.0), abs=0.01)
    # the LFE's 0.9 is the loudest channel: peaks and RMS must not see it
    assert result.sample_peak_dbfs == pytest.approx(20 * np.log10(max(a for a, _ in counted)), abs=0.02)
    mean_square = np.mean([a * a / 2 for a, _ in counted])
    assert result.rms_dbfs == pytest.approx(10 * np.log10(mean_square), abs=0.01)


def test_lfe_in_an_unusual_place_is_left_out_of_dr_and_true_peak(tmp_path: Path) -> None:
    """Mask 0x10B (FL FR LFE BC): channel 3 of 4 is the LFE. Its loud first block would give it a DR of
    −20 dB and set the true peak; every other channel is a steady sine (DR 0); FL and FR are the stereo pair."""
    x = _tones([0.2, 0.1, 0.9, 0.3], seconds=9.0)
    x[3 * SR :, 2] *= 0.1
    path = extensible_wav(tmp_path / "lfe.wav", x, SR, 0x10B)
    result = analyze_blocks(iter_blocks(path), probe_wav(path)).overall
    assert result.dynamic_range_db == pytest.approx(0.0, abs=0.01)
    assert result.true_peak_dbtp == pytest.approx(20 * np.log10(0.3), abs=0.02)
    assert result.lr_balance_db == pytest.approx(20 * np.log10(0.1 / 0.2), abs=0.01)  # FL and FR are L and R


@pytest.mark.parametrize(
    ("channels", "weights"),
    [(4, [1, 1, 1.41, 1.41]), (5, [1, 1, 1, 1.41, 1.41]), (7, [1, 1, 1, None, 1.41, 1.41, 1.0]),
     (8, [1, 1, 1, None, 1.41, 1.41, 1.0, 1.0]), (10, [1, 1, 1, None, 1.41, 1.41, 1.0, 1.0, 1.0, 1.0])],
)  # fmt: skip
def test_layouts_without_a_mask_follow_the_documented_defaults(
    tmp_path: Path, channels: int, weights: list[float | None]
) -> None:
    """Plain PCM WAV: L R (C) (LFE) Ls Rs, then 6.1's back centre or 7.1's rears at 1.0 (analysis.channels)."""
    amplitudes = [0.05 + 0.03 * c for c in range(channels)]
    path = tmp_path / "plain.wav"
    sf.write(path, _tones(amplitudes), SR, subtype="FLOAT", format="WAV")
    info = probe_wav(path)
    assert info.channel_mask is None
    counted = [(a, g) for a, g in zip(amplitudes, weights, strict=True) if g is not None]
    result = analyze_blocks(iter_blocks(path), info).overall
    assert result.integrated_lufs == pytest.approx(sine_loudness(counted, 997.0), abs=0.01)


_MEASURE_MEMORY = """
import resource, sys, tracemalloc
from amt.analysis.decode import iter_blocks, probe_wav
from amt.analysis.engine import analyze_blocks
from amt.analysis.result import AudioInfo
tracemalloc.start()
result = analyze_blocks(iter_blocks(sys.argv[1]), probe_wav(sys.argv[1]))
print(tracemalloc.get_traced_memory()[1], resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
      result.overall.integrated_lufs is not None)
"""


def test_memory_is_bounded_whatever_the_channels_and_rate(tmp_path: Path) -> None:
    """64 channels at 192 kHz (2 s, 8-bit: a 25 MB file, 98 MB as float32) analysed in a fresh process.

    Blocks are bounded in frames × channels (analysis.result.BLOCK_SAMPLE_BUDGET), so the peak stays
    that of a few 16 MB blocks; regrouping into 30 s blocks whatever the channel count took 0.9 GB here
    (and ~23 GB for 30 s at 384 kHz).
    """
    rate, channels = 192_000, 64
    path = tmp_path / "many.wav"
    rng = np.random.default_rng(5)
    with sf.SoundFile(path, "w", rate, channels, subtype="PCM_U8", format="WAV") as f:
        for _ in range(8):
            f.write((0.2 * rng.standard_normal((rate // 4, channels))).astype(np.float32))
    backend = Path(__file__).resolve().parents[2]
    run = subprocess.run(
        [sys.executable, "-c", _MEASURE_MEMORY, str(path)],
        cwd=backend, env={**os.environ, "PYTHONPATH": str(backend)}, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    traced, max_rss, measured = run.stdout.split()
    assert measured == "True"
    assert int(traced) < 250 * 2**20, f"{int(traced) / 2**20:.0f} MB allocated"
    assert int(max_rss) < 600 * 2**20, f"{int(max_rss) / 2**20:.0f} MB resident"


def test_more_audio_than_announced_is_unreadable() -> None:
    """The engine stops at the frames the header announced instead of analysing past them."""
    x = signal().astype(np.float32)
    info = AudioInfo(sample_rate=SR, channels=2, bit_depth=32, duration_s=0.5, frames=SR // 2)
    with pytest.raises(UnreadableAudioError, match="more frames than its header announces"):
        analyze_blocks([x], info)
