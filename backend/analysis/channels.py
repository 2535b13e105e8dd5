"""Channel layouts and BS.1770-4 channel weights.

WAV files carry channels in the WAVEFORMATEXTENSIBLE order L R C LFE Ls Rs
(then Lrs Rrs for 7.1). Without a channel mask we assume the common layouts by
count: 1 mono, 2 L R, 3 L R C, 4 L R Ls Rs (quad), 5 L R C Ls Rs, 6 5.1,
7 6.1 (L R C LFE Ls Rs Cs), 8 7.1; anything larger: L R C LFE then surrounds.
"""

from __future__ import annotations

G_FRONT = 1.0
"""BS.1770-4 Table 3 weight for L, R, C."""
G_SURROUND = 1.41
"""BS.1770-4 Table 3 weight for Ls, Rs (+1.5 dB)."""


def lfe_index(channels: int) -> int | None:
    """Index of the LFE channel for a channel count, or None if the layout has none."""
    return 3 if channels >= 6 else None


def loudness_weights(channels: int) -> tuple[float, ...]:
    """BS.1770-4 weight G_i of every channel; the LFE gets 0 (excluded)."""
    if channels <= 3:
        return (G_FRONT,) * channels
    if channels == 4:
        return (G_FRONT, G_FRONT, G_SURROUND, G_SURROUND)
    if channels == 5:
        return (G_FRONT, G_FRONT, G_FRONT, G_SURROUND, G_SURROUND)
    return (G_FRONT, G_FRONT, G_FRONT, 0.0) + (G_SURROUND,) * (channels - 4)
