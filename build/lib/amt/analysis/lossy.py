"""What a lossy codec removes: its low-pass, estimated from the codec and its bit rate (SPEC §4, Decoding).

Lossy encoders cut the top of the spectrum to spend their bits below it, and how
high they cut depends on the bit rate. Above that frequency a lossy file holds
little or nothing of the master, so the high band is reported but not advised on.
The tables are the encoders' own choices, as published or as measured here on
white noise with the encoders the project ships (libsndfile's LAME and libvorbis,
FFmpeg's AAC, libopus: the highest frequency within 30 dB of the 1–5 kHz level, at
44.1 kHz stereo). A low-pass at or above 20 kHz touches none of the §4 bands and
reads as None.
"""

from __future__ import annotations

import numpy as np

NO_LOWPASS_HZ = 20_000.0
"""A low-pass at or above this leaves every §4 band (up to 20 kHz) whole."""

_LOWPASS_TABLES: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {
    # LAME's optimum_bandwidth() table (lame.c), stereo kbit/s → Hz; measured here: 98 → 15.3 k, 163 → 18.8 k
    "MP3": ((8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
            (2000, 3700, 3900, 5500, 7000, 7500, 10000, 11000, 13500, 15100, 15600, 17000, 17500, 18600, 19400,
             19700, 20500)),
    # libvorbis 1.3 as measured here: 75 → 15.2 k, 90 → 16.1 k, 119 → 17.3 k, 178 → 20.4 k, ≥ 232 kbit/s uncut
    "Vorbis": ((75, 90, 119, 178, 232), (15200, 16100, 17300, 20400, 22050)),
    # FFmpeg's AAC encoder as measured here: 99 → 16.5 k, 132 → 17.3 k, 196 → 19.3 k, ≥ 256 kbit/s above 20 kHz
    "AAC": ((64, 99, 132, 196, 256), (14000, 16500, 17300, 19300, 20500)),
}  # fmt: skip
_OPUS_FULLBAND_HZ = 20_000.0
"""Opus codes at most 20 kHz of audio ("fullband", RFC 6716 §2), which libopus uses from about 32 kbit/s stereo;
below that it drops to super-wideband, 12 kHz."""


def codec_lowpass_hz(codec: str, bit_rate_kbps: float | None, *, channels: int = 2) -> float | None:
    """Estimated low-pass of a lossy ``codec`` at ``bit_rate_kbps`` (average, all channels), Hz.

    None for lossless codecs, unknown bit rates, and low-passes at or above 20 kHz.
    """
    if bit_rate_kbps is None or bit_rate_kbps <= 0:
        return None
    stereo_kbps = bit_rate_kbps * 2 / max(1, channels)  # the tables are for stereo
    if codec == "Opus":
        hz = _OPUS_FULLBAND_HZ if stereo_kbps >= 32 else 12_000.0
    elif codec in ("MP2", "MP1"):
        hz = float(np.interp(stereo_kbps, *_LOWPASS_TABLES["MP3"]))
    elif codec in _LOWPASS_TABLES:
        hz = float(np.interp(stereo_kbps, *_LOWPASS_TABLES[codec]))
    else:
        return None
    return None if hz >= NO_LOWPASS_HZ else round(hz, -2)
