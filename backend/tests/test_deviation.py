"""Shape deviations and inaudible bands (SPEC §4, §5 "Deviations")."""

from __future__ import annotations

import pytest

from amt.api.services.deviation import inaudible_bands, shape_deviations
from amt.config.constants import BAND_NAMES

TARGET = dict(zip(BAND_NAMES, (0.57, 0.15, 0.16, 0.08, 0.04), strict=True))


def _eq(shares: dict[str, float], band: str, gain_db: float) -> dict[str, float]:
    """The shares after a gain on one band, renormalised to sum to 1 (what an EQ does to the shares)."""
    moved = {b: s * (10 ** (gain_db / 10) if b == band else 1.0) for b, s in shares.items()}
    total = sum(moved.values())
    return {b: s / total for b, s in moved.items()}


def test_spec_example_cut_of_dominant_band_reads_as_one_move() -> None:
    # SPEC §5: a −5 dB cut of a low band holding 57 % moves its share by −2.9 dB and the others by +2.2 dB.
    dev = shape_deviations(_eq(TARGET, "low", -5.0), TARGET)
    assert dev["low"] == pytest.approx(-5.0, abs=1e-9)
    for band in BAND_NAMES[1:]:
        assert dev[band] == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("band", BAND_NAMES)
@pytest.mark.parametrize("gain_db", [-8.0, -3.0, 4.0, 8.0])
def test_any_single_band_move_reads_exactly(band: str, gain_db: float) -> None:
    dev = shape_deviations(_eq(TARGET, band, gain_db), TARGET)
    assert dev[band] == pytest.approx(gain_db, abs=1e-9)
    assert all(dev[b] == pytest.approx(0.0, abs=1e-9) for b in BAND_NAMES if b != band)


def test_overall_level_does_not_move_the_shape() -> None:
    assert all(v == pytest.approx(0.0, abs=1e-12) for v in shape_deviations(TARGET, TARGET).values())


def test_missing_share_is_none_and_left_out_of_the_median() -> None:
    shares = {**TARGET, "high": 0.0}
    dev = shape_deviations(shares, TARGET)
    assert dev["high"] is None
    assert all(dev[b] is not None for b in BAND_NAMES[:-1])


def test_inaudible_bands() -> None:
    levels = {"low": -10.0, "low_mid": -20.0, "mid": -25.0, "high_mid": -61.0, "high": -88.0}
    assert inaudible_bands(levels) == {"high_mid", "high"}  # 51 dB under the loudest; under −80 dBFS
    assert inaudible_bands({**levels, "high": None}) == {"high_mid", "high"}
    assert inaudible_bands({b: -30.0 for b in BAND_NAMES}) == frozenset()


def test_inaudible_bands_are_left_out_of_the_median() -> None:
    # Two audible bands 6 dB apart in opposite directions; the three others hold noise-floor shares.
    target = {"low": 0.8, "low_mid": 1e-9, "mid": 0.2, "high_mid": 1e-9, "high": 1e-9}
    shares = {"low": 0.2, "low_mid": 3e-9, "mid": 0.8, "high_mid": 7e-9, "high": 5e-9}
    dev = shape_deviations(shares, target, inaudible={"low_mid", "high_mid", "high"})
    assert dev["low"] == pytest.approx(-6.02, abs=0.01) and dev["mid"] == pytest.approx(6.02, abs=0.01)
    assert dev["low_mid"] is None and dev["high"] is None
