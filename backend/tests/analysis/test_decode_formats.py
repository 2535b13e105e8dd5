"""Every container of SPEC §4 besides WAV: AIFF/AIFC, FLAC, MP3, Ogg Vorbis, Opus (and their refusals).

Files are written by the project's own encoders (libsndfile through ``soundfile``), so the
expected samples are known: lossless formats must decode to exactly the WAV's samples,
lossy ones to the same number of frames and close to the source.
"""

from __future__ import annotations

import struct
from dataclasses import asdict
from pathlib import Path

import av
import numpy as np
import pytest
import soundfile as sf

from amt.analysis.decode import iter_blocks, probe, read
from amt.analysis.engine import analyze_blocks
from amt.analysis.errors import UnreadableAudioError, UnsupportedEncodingError, UnsupportedFormatError
from helpers import write_m4a

SR = 44100


def music(seconds: float = 2.0, sr: int = SR, seed: int = 3) -> np.ndarray:
    """A stereo test programme: two tones and band-limited noise, peaks about −6 dBFS."""
    t = np.arange(round(seconds * sr)) / sr
    rng = np.random.default_rng(seed)
    noise = np.convolve(rng.standard_normal(t.size), np.ones(8) / 8, mode="same")
    left = 0.25 * np.sin(2 * np.pi * 220 * t) + 0.1 * np.sin(2 * np.pi * 3300 * t) + 0.1 * noise
    right = 0.2 * np.sin(2 * np.pi * 330 * t + 0.5) + 0.1 * noise
    return np.stack([left, right], axis=1)


@pytest.mark.parametrize(
    ("fmt", "subtype", "container", "codec", "bit_depth", "tolerance"),
    [
        ("AIFF", "PCM_16", "AIFF", "PCM", 16, 1 / 32768),
        ("AIFF", "PCM_24", "AIFF", "PCM", 24, 1e-6),
        ("AIFF", "PCM_32", "AIFF", "PCM", 32, 1e-7),
        ("AIFF", "FLOAT", "AIFC", "IEEE float", 32, 1e-7),
        ("AIFF", "DOUBLE", "AIFC", "IEEE float", 64, 1e-7),
        ("FLAC", "PCM_16", "FLAC", "FLAC", 16, 1 / 32768),
        ("FLAC", "PCM_24", "FLAC", "FLAC", 24, 1e-6),
    ],
)
def test_lossless_formats_decode_to_the_same_samples_as_wav(
    tmp_path: Path, fmt: str, subtype: str, container: str, codec: str, bit_depth: int, tolerance: float
) -> None:
    x = music()
    if subtype.startswith("PCM"):  # quantise once, so that every writer stores the same integers
        x = np.round(x * 2.0 ** (bit_depth - 1)) / 2.0 ** (bit_depth - 1)
    wav, other = tmp_path / "a.wav", tmp_path / "a.audio"
    sf.write(wav, x, SR, subtype=subtype, format="WAV")
    sf.write(other, x, SR, subtype=subtype, format=fmt)
    data, info = read(other)
    reference, _ = read(wav)
    np.testing.assert_array_equal(data, reference)
    assert np.abs(data - x).max() <= tolerance
    assert (info.format, info.codec, info.lossy, info.bit_depth, info.bit_rate_kbps) == (
        container, codec, False, bit_depth, None)  # fmt: skip
    assert (info.sample_rate, info.channels, info.frames) == (SR, 2, x.shape[0])


LOSSY = [
    # (format, subtype, rate, codec, writer options)
    ("MP3", "MPEG_LAYER_III", 44100, "MP3", {"bitrate_mode": "CONSTANT", "compression_level": 0.0}),
    ("OGG", "VORBIS", 44100, "Vorbis", {"compression_level": 0.1}),
    ("OGG", "OPUS", 48000, "Opus", {"compression_level": 0.2}),
]


@pytest.mark.parametrize(("fmt", "subtype", "sr", "codec", "options"), LOSSY)
def test_lossy_formats_decode_every_frame_close_to_the_source(
    tmp_path: Path, fmt: str, subtype: str, sr: int, codec: str, options: dict[str, object]
) -> None:
    x = music(sr=sr)
    path = tmp_path / "a.bin"
    sf.write(path, x, sr, subtype=subtype, format=fmt, **options)  # type: ignore[arg-type]
    info = probe(path)
    assert (info.format, info.codec, info.lossy, info.bit_depth) == (fmt, codec, True, None)
    assert (info.sample_rate, info.channels, info.frames) == (sr, 2, x.shape[0])  # encoder delay removed
    expected_kbps = path.stat().st_size * 8 / (x.shape[0] / sr) / 1000
    assert info.bit_rate_kbps == pytest.approx(expected_kbps, abs=0.1)
    blocks = list(iter_blocks(path, block_frames=10_000))
    assert all(b.dtype == np.float32 and b.shape[1] == 2 and b.shape[0] <= 10_000 for b in blocks)
    data = np.concatenate(blocks)
    assert data.shape == x.shape
    error = data - x
    snr_db = 10 * np.log10(np.sum(x**2) / np.sum(error**2))
    assert snr_db > 12, f"{codec}: {snr_db:.1f} dB (time-aligned decoding keeps the waveform)"


def test_mp3_after_id3_tags_is_read(tmp_path: Path) -> None:
    x = music(1.0)
    mp3 = tmp_path / "a.mp3"
    sf.write(mp3, x, SR, format="MP3", subtype="MPEG_LAYER_III")
    frame = b"TIT2" + struct.pack(">I", 6) + b"\0\0" + b"\0Song"
    tag = b"ID3\x03\x00\x00" + bytes([0, 0, 0, len(frame)]) + frame
    tagged = tmp_path / "tagged.bin"
    tagged.write_bytes(tag + tag + mp3.read_bytes())  # two stacked tags, as some taggers write
    info = probe(tagged)
    assert (info.format, info.codec, info.frames) == ("MP3", "MP3", x.shape[0])
    np.testing.assert_array_equal(read(tagged)[0], read(mp3)[0])
    only_tag = tmp_path / "only-tag.mp3"
    only_tag.write_bytes(tag)
    with pytest.raises(UnreadableAudioError, match="only an ID3 tag"):
        probe(only_tag)
    not_mp3 = tmp_path / "tag-and-text.mp3"
    not_mp3.write_bytes(tag + b"hello, this is not audio" * 10)
    with pytest.raises(UnreadableAudioError, match="no MP3 audio"):
        probe(not_mp3)


@pytest.mark.parametrize(("fmt", "subtype"), [("AU", "PCM_16"), ("CAF", "PCM_16"), ("NIST", "PCM_16")])
def test_containers_that_are_not_read_name_the_formats_that_are(tmp_path: Path, fmt: str, subtype: str) -> None:
    path = tmp_path / "a.wav"
    sf.write(path, music(0.2), SR, subtype=subtype, format=fmt)
    with pytest.raises(UnsupportedFormatError, match=r"not in an audio format that is read \(WAV .*AIFF.*Opus"):
        probe(path)


def test_raw_aac_without_a_container_is_an_unsupported_format(tmp_path: Path) -> None:
    path = tmp_path / "a.aac"
    adts = bytes([0xFF, 0xF1, 0x50, 0x80, 0x02, 0x1F, 0xFC]) + bytes(9)  # AAC-LC, 44.1 kHz, stereo
    path.write_bytes(adts * 20)
    with pytest.raises(UnsupportedFormatError, match="raw AAC"):
        probe(path)


@pytest.mark.parametrize(("subtype", "name"), [("ULAW", "µ-law"), ("ALAW", "A-law"), ("IMA_ADPCM", "IMA ADPCM")])
def test_aifc_codecs_that_are_not_read_are_named(tmp_path: Path, subtype: str, name: str) -> None:
    path = tmp_path / "a.aiff"
    sf.write(path, music(0.2), SR, subtype=subtype, format="AIFF")
    with pytest.raises(UnsupportedEncodingError, match=f"AIFF-C file is encoded as {name}"):
        probe(path)


def ogg_page(packet: bytes) -> bytes:
    """A first Ogg page (beginning of stream) holding one packet; the CRC is left 0 (the sniffer does not need it)."""
    return b"OggS" + bytes([0, 2]) + bytes(8) + struct.pack("<II", 1, 0) + bytes(4) + bytes([1, len(packet)]) + packet


@pytest.mark.parametrize(
    ("packet", "name"),
    [(b"Speex   1.2" + bytes(69), "Speex"), (b"\x7fFLAC\x01\x00" + bytes(40), "FLAC"), (b"\x80theora" + bytes(34),
     "Theora video"), (b"unknown!" + bytes(20), "an unknown codec")],
)  # fmt: skip
def test_ogg_codecs_that_are_not_read_are_named(tmp_path: Path, packet: bytes, name: str) -> None:
    path = tmp_path / "a.ogg"
    path.write_bytes(ogg_page(packet) + bytes(200))
    with pytest.raises(UnsupportedEncodingError, match=f"Ogg file holds {name}; only Vorbis and Opus"):
        probe(path)


@pytest.mark.parametrize(
    ("fmt", "subtype"), [("FLAC", "PCM_16"), ("MP3", "MPEG_LAYER_III"), ("OGG", "VORBIS"), ("OGG", "OPUS"),
                         ("AIFF", "PCM_24")],
)  # fmt: skip
def test_truncated_files_are_unreadable(tmp_path: Path, fmt: str, subtype: str) -> None:
    """Cut in half: refused (400) at the header or while decoding, never analysed as if whole."""
    x = music(3.0, sr=48000)
    whole = tmp_path / "whole.bin"
    sf.write(whole, x, 48000, subtype=subtype, format=fmt)
    raw = whole.read_bytes()
    for keep in (len(raw) // 2, 30, 5):
        cut = tmp_path / f"cut{keep}.bin"
        cut.write_bytes(raw[:keep])
        with pytest.raises(UnreadableAudioError):
            info = probe(cut)
            frames = sum(b.shape[0] for b in iter_blocks(cut))
            assert frames == info.frames < x.shape[0]  # an Ogg stream cut at a page boundary is a shorter stream
            raise UnreadableAudioError("(shorter, consistent stream)")


def test_flac_header_with_garbage_body_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "a.flac"
    sf.write(path, music(1.0), SR, format="FLAC", subtype="PCM_16")
    raw = bytearray(path.read_bytes())
    rng = np.random.default_rng(1)
    raw[200:] = rng.integers(0, 256, len(raw) - 200, dtype=np.uint8).tobytes()
    path.write_bytes(bytes(raw))
    with pytest.raises(UnreadableAudioError):
        list(iter_blocks(path))


def test_lossy_overs_are_not_clipped_by_the_decoder(tmp_path: Path) -> None:
    """A full-scale master's codec overshoot must reach the meters (for the true peak and codec preview)."""
    t = np.arange(SR) / SR
    x = 0.999 * np.sign(np.sin(2 * np.pi * 1000 * t))  # a square wave: Gibbs overshoot after low-pass coding
    path = tmp_path / "hot.mp3"
    sf.write(path, np.stack([x, x], 1), SR, format="MP3", subtype="MPEG_LAYER_III")
    data, _ = read(path)
    assert np.abs(data).max() > 1.0


# ── AAC and ALAC in MP4/M4A (PyAV) ──────────────────────────────────────────


@pytest.mark.parametrize("bits", [16, 24])
def test_alac_decodes_to_the_same_samples_as_wav(tmp_path: Path, bits: int) -> None:
    x = np.round(music() * 2.0 ** (bits - 1)) / 2.0 ** (bits - 1)
    path = write_m4a(tmp_path / "a.m4a", x, SR, "alac", bits=bits)
    wav = tmp_path / "a.wav"
    sf.write(wav, x, SR, subtype=f"PCM_{bits}")
    data, info = read(path)
    assert (info.format, info.codec, info.lossy, info.bit_depth, info.frames) == ("MP4", "ALAC", False, bits, len(x))
    np.testing.assert_array_equal(data, read(wav)[0])


def test_aac_decodes_every_frame_time_aligned(tmp_path: Path) -> None:
    x = music()
    path = write_m4a(tmp_path / "a.m4a", x, SR, "aac", bit_rate=256_000)
    info = probe(path)
    assert (info.format, info.codec, info.lossy, info.bit_depth) == ("MP4", "AAC", True, None)
    assert abs(info.frames - len(x)) <= 16  # the edit list's duration; the last frame's padding is cut
    assert info.bit_rate_kbps == pytest.approx(256, rel=0.15)
    blocks = list(iter_blocks(path, block_frames=10_000))
    assert [b.shape[0] for b in blocks[:-1]] == [10_000] * (len(blocks) - 1) and sum(map(len, blocks)) == info.frames
    data = np.concatenate(blocks)[: len(x)]
    snr_db = 10 * np.log10(np.sum(x[: len(data)] ** 2) / np.sum((data - x[: len(data)]) ** 2))
    assert snr_db > 15, f"{snr_db:.1f} dB: the encoder's priming samples must be dropped"


def test_mp4_with_another_codec_names_it(tmp_path: Path) -> None:
    path = tmp_path / "a.m4a"
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream("libmp3lame", rate=SR, layout="stereo")
        frame = av.AudioFrame.from_ndarray(np.zeros((2, 4608), dtype=np.float32), format="fltp", layout="stereo")
        frame.sample_rate, frame.pts = SR, 0
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            out.mux(packet)
    with pytest.raises(UnsupportedEncodingError, match=r"MP4 file holds .*MP3.* only AAC and ALAC"):
        probe(path)


@pytest.mark.parametrize("codec", ["aac", "alac"])
def test_truncated_m4a_is_unreadable(tmp_path: Path, codec: str) -> None:
    raw = write_m4a(tmp_path / "a.m4a", music(3.0), SR, codec).read_bytes()
    for keep in (len(raw) // 2, 40, 9):
        cut = tmp_path / f"cut{keep}.m4a"
        cut.write_bytes(raw[:keep])
        with pytest.raises(UnreadableAudioError):
            list(iter_blocks(cut))


# ── the same excerpt in every format, through the engine ────────────────────

EXCERPT_SR = 48000


def excerpt() -> np.ndarray:
    """8 s of :func:`music` at 48 kHz with a quiet and a loud part (so that LRA and sections have work to do),
    quantised to 24 bits so that every lossless writer stores the same integers."""
    x = music(8.0, sr=EXCERPT_SR, seed=9)
    envelope = np.where(np.arange(len(x)) < 3 * EXCERPT_SR, 0.3, 1.0)[:, None]
    return np.round(x * envelope * 2.0**23) / 2.0**23


def analysed(path: Path) -> tuple[dict[str, object], list[dict[str, object]]]:
    result = analyze_blocks(iter_blocks(path), probe(path))
    return asdict(result.overall), [asdict(b) for b in result.bands]


@pytest.fixture(scope="module")
def excerpt_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The excerpt written by the project's own encoders (libsndfile; FFmpeg through PyAV for M4A)."""
    folder = tmp_path_factory.mktemp("excerpt")
    x = excerpt()
    files = {name: folder / name for name in ("wav", "flac", "aiff", "alac", "mp3", "vorbis", "opus", "aac")}
    sf.write(files["wav"], x, EXCERPT_SR, subtype="PCM_24", format="WAV")
    sf.write(files["flac"], x, EXCERPT_SR, subtype="PCM_24", format="FLAC")
    sf.write(files["aiff"], x, EXCERPT_SR, subtype="PCM_24", format="AIFF")
    write_m4a(files["alac"], x, EXCERPT_SR, "alac", bits=24)
    sf.write(files["mp3"], x, EXCERPT_SR, subtype="MPEG_LAYER_III", format="MP3", bitrate_mode="CONSTANT",
             compression_level=0.0)  # fmt: skip
    sf.write(files["vorbis"], x, EXCERPT_SR, subtype="VORBIS", format="OGG", compression_level=0.1)
    sf.write(files["opus"], x, EXCERPT_SR, subtype="OPUS", format="OGG", compression_level=0.71)  # ≈ 160 kbit/s
    write_m4a(files["aac"], x, EXCERPT_SR, "aac", bit_rate=256_000)
    return files


@pytest.mark.parametrize("name", ["flac", "aiff", "alac"])
def test_lossless_formats_give_the_wavs_figures(excerpt_files: dict[str, Path], name: str) -> None:
    """Same samples, so every figure is the WAV's (loudness within 0.01 LU is the SPEC's floor; this is exact)."""
    wav_overall, wav_bands = analysed(excerpt_files["wav"])
    overall, bands = analysed(excerpt_files[name])
    assert overall["integrated_lufs"] == pytest.approx(wav_overall["integrated_lufs"], abs=0.01)
    assert overall == wav_overall
    assert bands == wav_bands


@pytest.mark.parametrize(
    ("name", "kbps"), [("mp3", 320), ("vorbis", 320), ("opus", 160), ("aac", 256)]
)  # fmt: skip
def test_lossy_formats_give_the_wavs_loudness_within_half_a_lu(
    excerpt_files: dict[str, Path], name: str, kbps: int
) -> None:
    wav_overall, wav_bands = analysed(excerpt_files["wav"])
    info = probe(excerpt_files[name])
    assert info.lossy and info.bit_depth is None
    assert info.bit_rate_kbps is not None and info.bit_rate_kbps == pytest.approx(kbps, rel=0.4)
    overall, bands = analysed(excerpt_files[name])
    for key in ("integrated_lufs", "short_term_max_lufs", "momentary_max_lufs"):
        assert overall[key] == pytest.approx(wav_overall[key], abs=0.5), key
    assert overall["loudness_range_lu"] == pytest.approx(wav_overall["loudness_range_lu"], abs=1.0)
    assert overall["true_peak_dbtp"] == pytest.approx(wav_overall["true_peak_dbtp"], abs=1.0)
    for band, wav_band in zip(bands, wav_bands, strict=True):
        if band["band"] != "high":  # a codec's low-pass takes part of the high band away
            assert band["rms_db"] == pytest.approx(wav_band["rms_db"], abs=0.5), band["band"]


def test_an_mp3_without_a_length_tag_is_read_to_its_end(tmp_path: Path) -> None:
    """Without its Xing/LAME frame a VBR MP3's length is only an estimate from the first frame's bit rate
    (libsndfile stops there: a third of this file); the frames are counted and FFmpeg decodes them all."""
    x = music(4.0)
    tagged = tmp_path / "vbr.mp3"
    sf.write(tagged, x, SR, format="MP3", subtype="MPEG_LAYER_III", bitrate_mode="VARIABLE", compression_level=0.5)
    raw = tagged.read_bytes()
    second = raw.index(b"\xff\xfb", 4)  # the first frame is the Xing/LAME tag frame, without audio
    assert b"Xing" in raw[:second] or b"Info" in raw[:second]
    bare = tmp_path / "bare.mp3"
    bare.write_bytes(raw[second:] + b"TAG" + bytes(125))  # and an ID3v1 tag at the end, as taggers leave
    frames_in_file = (len(x) + 576 + 1151) // 1152 * 1152  # encoder delay + padding, whole 1152-sample frames
    info = probe(bare)
    assert info.frames > sf.info(str(bare)).frames  # libsndfile's estimate falls short
    assert abs(info.frames - frames_in_file) <= 1152 and info.codec == "MP3" and info.lossy
    data, _ = read(bare)
    assert data.shape == (info.frames, 2)
    reference, _ = read(tagged)  # gapless: starts 576 + 529 samples later
    best = max(range(0, 2400), key=lambda lag: float(np.dot(data[lag : lag + 50_000, 0], reference[:50_000, 0])))
    aligned = data[best : best + len(reference)]
    np.testing.assert_allclose(aligned[100_000:150_000], reference[100_000:150_000], atol=2e-3)
