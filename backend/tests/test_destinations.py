"""Destination previews: gains and verdicts worked out by hand from each published rule."""

from __future__ import annotations

import pytest

from api.services.destinations import destination_previews


def _by_name(lufs: float | None, tp: float | None) -> dict[str, dict]:
    return {d["name"]: d for d in destination_previews(lufs, tp)}


def test_a_loud_master_is_turned_down_everywhere_but_the_club() -> None:
    d = _by_name(-8.2, -0.6)
    assert d["Spotify"]["gain_db"] == pytest.approx(-5.8)
    assert d["Spotify"]["resulting_lufs"] == pytest.approx(-14.0)
    assert d["Spotify"]["resulting_true_peak_dbtp"] == pytest.approx(-6.4)
    assert "turned down 5.8 dB" in d["Spotify"]["verdict"]
    assert d["Apple Music"]["gain_db"] == pytest.approx(-7.8)
    assert d["Deezer"]["gain_db"] == pytest.approx(-6.8)
    assert d["Club / DJ"]["gain_db"] == 0.0 and d["Club / DJ"]["resulting_lufs"] == pytest.approx(-8.2)
    assert all(x["published"] for x in d.values())


def test_a_quiet_master_is_raised_only_where_the_rule_allows_and_only_to_minus_one_dbtp() -> None:
    d = _by_name(-18.0, -4.0)
    # Spotify would add 4 dB but the peak allows only 3 dB (−4 → −1 dBTP).
    assert d["Spotify"]["gain_db"] == pytest.approx(3.0)
    assert d["Spotify"]["resulting_true_peak_dbtp"] == pytest.approx(-1.0)
    assert d["Apple Music"]["gain_db"] == pytest.approx(2.0)
    assert d["YouTube"]["gain_db"] == 0.0
    assert "not turned up" in d["YouTube"]["verdict"] and "4.0 dB quieter" in d["YouTube"]["verdict"]


def test_true_peak_over_minus_one_after_gain_warns_about_lossy_encoding() -> None:
    d = _by_name(-14.2, 0.4)
    assert d["YouTube"]["gain_db"] == 0.0
    assert "+0.4 dBTP will clip after lossy encoding" in d["YouTube"]["verdict"]
    assert "clips the DJ's converter" in d["Club / DJ"]["verdict"]


def test_no_loudness_no_previews() -> None:
    assert destination_previews(None, None) == []
