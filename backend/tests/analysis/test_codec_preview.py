"""Codec preview (SPEC §8): the true peak after each service's codec, against an independent path.

The preview streams the master through FFmpeg's encoders packet by packet (AAC, Opus,
MP3) or libvorbis in overlapping segments, and meters it with the engine's true-peak
meter. The independent path encodes a whole file the other way — libsndfile's LAME,
libopus and libvorbis, or an M4A muxed by FFmpeg — decodes it with the project's
decoder (demuxer, edit list, gapless info), resamples with scipy where the codec needs
48 kHz, and measures the peak by 8× polyphase oversampling instead.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from scipy.signal import butter, resample_poly, sosfiltfilt

from amt.analysis.codec_preview import CONTEXT_S, SEGMENT_S, Codec, Encoding, _VorbisRoundTrip, preview_encodings
from amt.analysis.decode import read
from helpers import write_m4a

SR = 44100


def oversampled_peak_dbtp(x: np.ndarray) -> float:
    """Peak of 8× polyphase-oversampled audio, dBTP (a second true-peak implementation)."""
    return float(20 * np.log10(np.abs(resample_poly(x, 8, 1, axis=0)).max()))


def loud_master(seconds: float = 6.0, ceiling_dbtp: float = -0.3) -> np.ndarray:
    """A dense stereo master: kick, bass, chords and hats, saturated, then scaled to ``ceiling_dbtp``."""
    rng = np.random.default_rng(42)
    t = np.arange(round(seconds * SR)) / SR
    beat = (t * 2.0) % 1.0
    kick = np.sin(2 * np.pi * (50 + 100 * np.exp(-beat * 30)) * beat) * np.exp(-beat * 8)
    bass = 0.5 * np.sign(np.sin(2 * np.pi * 55 * t)) * (0.5 + 0.5 * np.cos(2 * np.pi * 2 * t))
    chords = sum(0.2 * np.sin(2 * np.pi * f * t + p) for f, p in ((220, 0), (277.2, 1), (329.6, 2), (440, 3)))
    hats = np.convolve(rng.standard_normal(t.size), [1, -1], mode="same") * 0.15 * np.exp(-((t * 4) % 1.0) * 20)
    left = np.tanh(1.8 * (kick + bass + chords + hats))
    right = np.tanh(1.8 * (kick + bass + 0.9 * chords - hats))
    x = sosfiltfilt(butter(8, 18_000, fs=SR, output="sos"), np.stack([left, right], 1), axis=0)  # band-limited
    return (x * 10 ** (ceiling_dbtp / 20) / 10 ** (oversampled_peak_dbtp(x) / 20)).astype(np.float32)


def independent_peak(x: np.ndarray, encoding: Encoding, tmp_path: Path) -> float:
    """Whole-file encode the other way, decode with analysis.decode, peak by 8× oversampling."""
    path = tmp_path / f"independent-{encoding.codec}"
    if encoding.codec == Codec.AAC:
        write_m4a(path, x, SR, "aac", bit_rate=encoding.bitrate_kbps * 1000)
    elif encoding.codec == Codec.MP3:
        sf.write(path, x, SR, format="MP3", subtype="MPEG_LAYER_III", bitrate_mode="CONSTANT", compression_level=0.0)
    elif encoding.codec == Codec.OPUS:  # libopus codes 48 kHz; compression level 0.71 ≈ 160 kbit/s
        sf.write(path, resample_poly(x, 160, 147, axis=0), 48000, format="OGG", subtype="OPUS", compression_level=0.71)
    else:  # libsndfile: Vorbis quality 9 (≈ 320 kbit/s), one continuous stream
        sf.write(path, x, SR, format="OGG", subtype="VORBIS", compression_level=0.1)
    decoded, _ = read(path)
    return oversampled_peak_dbtp(decoded)


ENCODINGS = [Encoding(Codec.AAC, 256), Encoding(Codec.OPUS, 160), Encoding(Codec.MP3, 320), Encoding(Codec.VORBIS, 320)]


def test_post_encode_true_peak_agrees_with_an_independent_encode_decode_measure_path(tmp_path: Path) -> None:
    x = loud_master(4.0)
    blocks = [x[i : i + 50_000] for i in range(0, len(x), 50_000)]  # blocks that split codec frames
    previews = preview_encodings(blocks, SR, 2, ENCODINGS)
    for encoding, got in zip(ENCODINGS, previews, strict=True):
        assert (got.codec, got.bitrate_kbps) == (encoding.codec, encoding.bitrate_kbps)
        assert got.sample_rate == (48000 if encoding.codec == Codec.OPUS else SR)
        expected = independent_peak(x, encoding, tmp_path)
        assert got.true_peak_dbtp is not None
        assert got.true_peak_dbtp == pytest.approx(expected, abs=0.5), encoding
        assert got.true_peak_dbtp > -0.3 - 0.5  # lossy coding of a −0.3 dBTP master does not lose its peaks


def test_overs_are_counted_and_a_quiet_master_stays_clean() -> None:
    hot = loud_master(2.0, ceiling_dbtp=0.0) * np.float32(10 ** (1.5 / 20))  # a +1.5 dBTP master
    quiet = loud_master(2.0, ceiling_dbtp=-6.0)
    encodings = [Encoding(Codec.AAC, 256), Encoding(Codec.MP3, 320)]
    for got in preview_encodings([hot], SR, 2, encodings):
        assert got.clipped_samples > 0 and got.true_peak_dbtp is not None and got.true_peak_dbtp > 0.5
    for got in preview_encodings([quiet], SR, 2, encodings):
        assert got.clipped_samples == 0 and got.true_peak_dbtp is not None and got.true_peak_dbtp < -4.0


def test_silence_has_no_true_peak_and_mono_and_surround_are_previewed() -> None:
    silent = np.zeros((SR, 1), dtype=np.float32)
    (got,) = preview_encodings([silent], SR, 1, [Encoding(Codec.MP3, 320)])
    assert got.true_peak_dbtp is None and got.clipped_samples == 0
    surround = np.zeros((SR, 6), dtype=np.float32)
    surround[:, :2] = loud_master(1.0, ceiling_dbtp=-3.0)
    surround[:, 3] = 0.99  # a full-scale LFE is not part of the stereo stream services deliver
    (got,) = preview_encodings([surround], SR, 6, [Encoding(Codec.AAC, 256)])
    assert got.clipped_samples == 0 and got.true_peak_dbtp is not None and -4.0 < got.true_peak_dbtp < -1.0


def test_a_96_khz_master_is_resampled_for_each_codec() -> None:
    x = resample_poly(loud_master(1.5, ceiling_dbtp=-1.0), 320, 147, axis=0).astype(np.float32)
    previews = preview_encodings([x], 96000, 2, [Encoding(Codec.OPUS, 160), Encoding(Codec.MP3, 320)])
    assert [p.sample_rate for p in previews] == [48000, 44100]
    for p in previews:
        assert p.true_peak_dbtp is not None and p.true_peak_dbtp == pytest.approx(-1.0, abs=0.8)


def test_vorbis_segments_join_into_one_stream_of_the_same_length() -> None:
    """Over several segments: every frame comes back once, in place (the encodes differ only by codec noise)."""
    rate = 8000
    seconds = 2 * SEGMENT_S + 3 * CONTEXT_S + 0.3
    t = np.arange(round(seconds * rate)) / rate
    x = np.stack([0.5 * np.sin(2 * np.pi * 300 * t), 0.4 * np.sin(2 * np.pi * 500 * t)], 1).astype(np.float32)
    trip = _VorbisRoundTrip(Encoding(Codec.VORBIS, 320), rate, 2)
    out = [y for i in range(0, len(x), 7777) for y in trip.push(x[i : i + 7777])] + list(trip.push(None))
    y = np.concatenate(out)
    assert y.shape == x.shape
    snr_db = 10 * np.log10(np.sum(x**2) / np.sum((y - x) ** 2))
    assert snr_db > 30, f"{snr_db:.1f} dB: a misplaced segment would read near 0 dB"
    whole = io.BytesIO()
    sf.write(whole, x, rate, format="OGG", subtype="VORBIS", compression_level=0.1)
    assert np.abs(y).max() == pytest.approx(np.abs(sf.read(io.BytesIO(whole.getvalue()))[0]).max(), abs=0.02)


def test_a_long_vorbis_segment_at_96_khz_is_written_piecewise() -> None:
    """Regression: libsndfile's Vorbis writer crashed (SIGSEGV) on one write of a minute of audio; a 22 s
    segment at 96 kHz (2.1 M frames) is written in pieces."""
    rate = 96000
    trip = _VorbisRoundTrip(Encoding(Codec.VORBIS, 320), rate, 2)
    x = np.zeros((round((SEGMENT_S + 2 * CONTEXT_S) * rate) + 10, 2), dtype=np.float32)
    x[:, 0] = 0.1 * np.sin(2 * np.pi * 1000 * np.arange(len(x)) / rate)
    out = np.concatenate([*trip.push(x), *trip.push(None)])
    assert out.shape == x.shape
