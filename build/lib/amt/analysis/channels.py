"""Channel layouts and BS.1770-4 channel weights (SPEC §4, Multichannel).

**Which channel is which.** A WAVE_FORMAT_EXTENSIBLE file names its speakers in
``dwChannelMask``: channel i is the i-th set bit, in the bit order of
:data:`SPEAKER_BITS`; channels beyond the set bits are unassigned (weight 1, not
LFE), set bits beyond the channel count are ignored. Without a mask (plain PCM or
float WAV, or a zero mask) the layout is assumed from the channel count:

- 1: mono
- 2: L R
- 3: L R C
- 4: L R Ls Rs (quad)
- 5: L R C Ls Rs
- 6: L R C LFE Ls Rs (5.1)
- 7: L R C LFE Ls Rs Cs (6.1, Cs = back centre)
- 8: L R C LFE Ls Rs Lrs Rrs (7.1: side surrounds, then rears)
- more: L R C LFE Ls Rs, then unassigned channels.

**Weights** (BS.1770-4 Table 3): 1.41 (+1.5 dB) only for channels at 60°–120°
azimuth — side surrounds, and the "back" pair of a layout without side channels (the
common 5.1 mask 0x3F puts Ls/Rs there, at ±110°); 1.0 for front channels, for back
channels beyond 120° (7.1 rears, 6.1 back centre) and for elevated ones; the LFE is
excluded from loudness, and from peaks, RMS and DR. A file whose only channel is
marked LFE is measured as that channel.
"""

from __future__ import annotations

from dataclasses import dataclass

G_FRONT = 1.0
"""BS.1770-4 Table 3 weight for |azimuth| < 60° or > 120°, and for elevated channels."""
G_SURROUND = 1.41
"""BS.1770-4 Table 3 weight for 60° ≤ |azimuth| ≤ 120° (+1.5 dB)."""

SPEAKER_BITS = (
    "FL", "FR", "FC", "LFE", "BL", "BR", "FLC", "FRC", "BC", "SL", "SR",
    "TC", "TFL", "TFC", "TFR", "TBL", "TBC", "TBR",
)  # fmt: skip
"""WAVEFORMATEXTENSIBLE speaker positions: bit i of ``dwChannelMask`` is ``SPEAKER_BITS[i]``."""

_DEFAULT_SPEAKERS: dict[int, tuple[str, ...]] = {
    1: ("FC",),
    2: ("FL", "FR"),
    3: ("FL", "FR", "FC"),
    4: ("FL", "FR", "BL", "BR"),
    5: ("FL", "FR", "FC", "BL", "BR"),
    6: ("FL", "FR", "FC", "LFE", "BL", "BR"),
    7: ("FL", "FR", "FC", "LFE", "BL", "BR", "BC"),
    8: ("FL", "FR", "FC", "LFE", "SL", "SR", "BL", "BR"),
}
"""Speakers assumed by channel count when a file has no mask (the table in the module docstring)."""


@dataclass(frozen=True)
class ChannelLayout:
    """Speaker of every channel (None: unassigned) and what the meters derive from it."""

    speakers: tuple[str | None, ...]

    @property
    def lfe_index(self) -> int | None:
        """Index of the LFE channel, or None (also when it is the only channel)."""
        if len(self.speakers) < 2 or "LFE" not in self.speakers:
            return None
        return self.speakers.index("LFE")

    @property
    def weights(self) -> tuple[float, ...]:
        """BS.1770-4 weight G_i of every channel; the LFE gets 0 (excluded)."""
        has_sides = "SL" in self.speakers or "SR" in self.speakers
        lfe = self.lfe_index
        out = []
        for i, speaker in enumerate(self.speakers):
            if i == lfe:
                out.append(0.0)
            elif speaker in ("SL", "SR") or (speaker in ("BL", "BR") and not has_sides):
                out.append(G_SURROUND)
            else:
                out.append(G_FRONT)
        return tuple(out)

    @property
    def stereo_pair(self) -> tuple[int, int]:
        """Channels used as L and R: FL and FR when both exist, else the first two non-LFE channels."""
        if "FL" in self.speakers and "FR" in self.speakers:
            return self.speakers.index("FL"), self.speakers.index("FR")
        others = [i for i in range(len(self.speakers)) if i != self.lfe_index]
        return (others[0], others[1]) if len(others) >= 2 else (others[0], others[0])


def channel_layout(channels: int, mask: int | None = None) -> ChannelLayout:
    """The layout of ``channels`` channels: from a WAVE_FORMAT_EXTENSIBLE ``mask`` when it is non-zero,
    else the defaults by count (module docstring)."""
    if mask:
        named = [name for bit, name in enumerate(SPEAKER_BITS) if mask >> bit & 1][:channels]
        return ChannelLayout(tuple(named) + (None,) * (channels - len(named)))
    if channels in _DEFAULT_SPEAKERS:
        return ChannelLayout(_DEFAULT_SPEAKERS[channels])
    return ChannelLayout(_DEFAULT_SPEAKERS[6][:4] + ("SL", "SR") + (None,) * (channels - 6))
