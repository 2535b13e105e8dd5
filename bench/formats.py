"""Decoding cost per format, codec-preview cost, and memory of long FLAC and MP3 files against WAV.

    python bench/formats.py                        # 5-minute file in every format; codec preview
    python bench/formats.py --minutes 60 --memory  # peak RSS of one analysis: 60-minute WAV, FLAC, MP3

Renders the music-like content of ``analysis_speed.py`` (44.1 kHz stereo) and writes
it, a minute at a time, with the project's own encoders: 16-bit WAV, AIFF, FLAC and
ALAC (PyAV), MP3 320 kbit/s CBR (LAME), Ogg Vorbis q9 (≈ 320 kbit/s), Opus ≈ 160
kbit/s (libsndfile; Opus at 48 kHz) and AAC 256 kbit/s (FFmpeg's encoder, PyAV).
Then it times, in one process, decoding each file (every block, best of
``--repeat``) against the full analysis of the WAV, and the codec preview (every
streaming destination's codec, one decoding pass) against that analysis.
``--memory`` runs one full analysis per file in a fresh child process and prints the
growth of its peak resident set (VmHWM after the imports and after the analysis),
which counts libsndfile's, FFmpeg's and libmpg123's buffers too. Figures only:
nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "backend"))

from amt.analysis import decode  # isort: skip
from amt.utils.process import tune_process  # isort: skip

import av
import numpy as np
import soundfile as sf
from _common import best_of, rss_growth
from analysis_speed import CHUNK_S, SAMPLE_RATE, read_blocks, render_chunk
from scipy.signal import resample_poly

from amt.api.services.analysis import codec_previews, destination_encodings, measure_file

SNDFILE_FORMATS = {
    # name: (file name, format, subtype, rate, writer options)
    "WAV 16-bit": ("a.wav", "WAV", "PCM_16", SAMPLE_RATE, {}),
    "AIFF 16-bit": ("a.aiff", "AIFF", "PCM_16", SAMPLE_RATE, {}),
    "FLAC 16-bit": ("a.flac", "FLAC", "PCM_16", SAMPLE_RATE, {}),
    "MP3 320": ("a.mp3", "MP3", "MPEG_LAYER_III", SAMPLE_RATE, {"bitrate_mode": "CONSTANT", "compression_level": 0.0}),
    "Vorbis q9": ("a.ogg", "OGG", "VORBIS", SAMPLE_RATE, {"compression_level": 0.1}),
    "Opus 160": ("a.opus", "OGG", "OPUS", 48000, {"compression_level": 0.71}),
}
AV_FORMATS = {"ALAC 16-bit": ("a.alac.m4a", "alac", 0), "AAC 256": ("a.aac.m4a", "aac", 256_000)}


def chunks(minutes: float) -> list[tuple[int, int]]:
    """(index, seconds) of each rendered chunk."""
    total = round(minutes * 60)
    return [(i, min(CHUNK_S, total - start)) for i, start in enumerate(range(0, total, CHUNK_S))]


def write_sndfile(path: Path, minutes: float, fmt: str, subtype: str, rate: int, options: dict[str, object]) -> None:
    rng = np.random.default_rng(2026)
    with sf.SoundFile(str(path), "w", rate, 2, subtype=subtype, format=fmt, **options) as out:  # type: ignore[arg-type]
        for index, seconds in chunks(minutes):
            x = render_chunk(index, seconds, rng)
            y = x if rate == SAMPLE_RATE else resample_poly(x, 160, 147, axis=0).astype(np.float32)
            for start in range(0, len(y), 1 << 16):  # libsndfile 1.2's Vorbis writer crashes on a minute at once
                out.write(y[start : start + (1 << 16)])


def write_m4a(path: Path, minutes: float, codec: str, bit_rate: int) -> None:
    rng = np.random.default_rng(2026)
    with av.open(str(path), "w", format="ipod") as out:
        stream = out.add_stream(codec, rate=SAMPLE_RATE, layout="stereo")
        fmt = "fltp" if codec == "aac" else "s16p"
        stream.codec_context.format = fmt
        if bit_rate:
            stream.bit_rate = bit_rate
        pts = 0
        for index, seconds in chunks(minutes):
            x = render_chunk(index, seconds, rng)
            planar = np.ascontiguousarray(x.T if fmt == "fltp" else np.round(x.T * 32767).astype(np.int16))
            for start in range(0, planar.shape[1], 8192):
                frame = av.AudioFrame.from_ndarray(planar[:, start : start + 8192], format=fmt, layout="stereo")
                frame.sample_rate, frame.pts = SAMPLE_RATE, pts
                pts += frame.samples
                for packet in stream.encode(frame):
                    out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)


def write_all(folder: Path, minutes: float, names: list[str]) -> dict[str, Path]:
    paths = {}
    for name in names:
        if name in SNDFILE_FORMATS:
            file, fmt, subtype, rate, options = SNDFILE_FORMATS[name]
            write_sndfile(folder / file, minutes, fmt, subtype, rate, options)
        else:
            file, codec, bit_rate = AV_FORMATS[name]
            write_m4a(folder / file, minutes, codec, bit_rate)
        paths[name] = folder / file
    os.sync()
    return paths


def speed(minutes: float, repeat: int) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_all(Path(tmp), minutes, [*SNDFILE_FORMATS, *AV_FORMATS])
        wav = paths["WAV 16-bit"]
        measure_file(wav)  # warm-up
        analysis_s = float("inf")
        for _ in range(repeat):
            start = time.perf_counter()
            result = measure_file(wav)
            analysis_s = min(analysis_s, time.perf_counter() - start)
        print(f"file: {minutes:g} min, 44.1 kHz stereo; full analysis of the WAV {analysis_s:.3f} s "
              f"({result.audio.duration_s / analysis_s:.0f}× real time)")  # fmt: skip
        print("format          size      decode   decode/analysis   integrated   vs WAV")
        for name, path in paths.items():
            info = decode.probe(path)
            decode_s = best_of(lambda: read_blocks(path), repeat)  # noqa: B023  (called at once)
            lufs = measure_file(path).overall.integrated_lufs
            delta = (lufs or 0.0) - (result.overall.integrated_lufs or 0.0)
            print(f"{name:14s} {path.stat().st_size / 1e6:6.1f} MB  {decode_s:7.3f} s   {decode_s / analysis_s:10.2f}×"
                  f"      {lufs:7.2f} LUFS  {delta:+.3f} LU  ({info.codec}"
                  f"{'' if info.bit_rate_kbps is None else f', {info.bit_rate_kbps:.0f} kbit/s'})")  # fmt: skip
        encodings = ", ".join(f"{e.codec} {e.bitrate_kbps}" for e in destination_encodings())
        start = time.perf_counter()
        previews = codec_previews(wav, result)
        preview_s = time.perf_counter() - start
        print(f"codec preview ({encodings}): {preview_s:.2f} s = {preview_s / analysis_s:.1f}× the analysis")
        for p in previews:
            print(
                f"  {p['codec']:6s} {p['bitrate_kbps']:3d} kbit/s  true peak {p['true_peak_dbtp']:+.2f} dBTP"
                f"  (master {result.overall.true_peak_dbtp:+.2f})  clipped samples {p['clipped_samples']}"
            )
    return 0


def memory(minutes: float) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_all(Path(tmp), minutes, ["WAV 16-bit", "FLAC 16-bit", "MP3 320"])
        growth = {name: rss_growth(path) for name, path in paths.items()}
        base = growth["WAV 16-bit"]
        print(f"file: {minutes:g} min, 44.1 kHz stereo; peak RSS growth of one full analysis in a fresh process")
        for name, rss in growth.items():
            print(f"{name:14s} {paths[name].stat().st_size / 1e6:7.1f} MB file   {rss / 1e6:7.1f} MB"
                  f"   {rss / base:.2f}× the WAV (goal ≤ 1.5×)")  # fmt: skip
    return 0


def main() -> int:
    """Run the benchmark and print its figures."""
    tune_process()  # as the entry points `amt` and the API do: one BLAS thread, glibc heap kept
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--repeat", type=int, default=2, help="timed runs; the best is reported")
    parser.add_argument("--memory", action="store_true", help="peak RSS of WAV, FLAC and MP3 analyses instead")
    args = parser.parse_args()
    return memory(args.minutes) if args.memory else speed(args.minutes, args.repeat)


if __name__ == "__main__":
    sys.exit(main())
