"""Destination previews: gains and verdicts worked out by hand from each rule.

Spotify's rule as it publishes it ('Loudness normalization', Spotify for Artists):
normalise to −14 LUFS; raise quieter tracks only as far as 1 dB of true-peak headroom
allows ("a track at −20 LUFS with a true peak of −5 dBFS is lifted only to −16 LUFS");
keep the true peak below −1 dBTP, and below −2 dBTP for masters louder than −14 LUFS.
"""

from __future__ import annotations

import re

import pytest

from amt.api.services.destinations import destination_previews, encoding_peak_limit_dbtp
from amt.config.constants import DESTINATIONS

STREAMING = ("Spotify", "Apple Music", "YouTube", "Tidal", "Amazon Music", "Deezer")


def _by_name(lufs: float | None, tp: float | None) -> dict[str, dict]:
    return {d["name"]: d for d in destination_previews(lufs, tp)}


def test_spotifys_published_example_is_lifted_to_minus_16_lufs() -> None:
    d = _by_name(-20.0, -5.0)["Spotify"]
    assert d["gain_db"] == pytest.approx(4.0) and d["resulting_lufs"] == pytest.approx(-16.0)
    assert d["resulting_true_peak_dbtp"] == pytest.approx(-1.0)


def test_a_loud_master_is_turned_down_everywhere_but_the_club() -> None:
    d = _by_name(-8.2, -2.6)
    assert d["Spotify"]["gain_db"] == pytest.approx(-5.8)
    assert d["Spotify"]["resulting_lufs"] == pytest.approx(-14.0)
    assert d["Spotify"]["resulting_true_peak_dbtp"] == pytest.approx(-8.4)
    assert d["Spotify"]["verdict"] == "Will be turned down 5.8 dB: the extra loudness buys nothing there."
    assert d["Apple Music"]["gain_db"] == pytest.approx(-7.8)
    assert d["Deezer"]["gain_db"] == pytest.approx(-6.8)
    assert d["Club / DJ"]["gain_db"] == 0.0 and d["Club / DJ"]["resulting_lufs"] == pytest.approx(-8.2)
    assert all(x["published"] for x in d.values())


def test_the_readme_verdict_for_a_loud_master_with_an_over_hot_peak() -> None:
    # The service encodes the file as delivered: its +0.4 dBTP peak clips in encoding, whatever gain
    # the player applies afterwards.
    d = _by_name(-8.2, 0.4)
    for name in STREAMING:
        assert "will clip after lossy encoding" in d[name]["verdict"], name
    assert d["Spotify"]["verdict"] == (
        "Will be turned down 5.8 dB: the extra loudness buys nothing there; "
        "true peak +0.4 dBTP will clip after lossy encoding."
    )
    assert d["Spotify"]["resulting_true_peak_dbtp"] == pytest.approx(0.4 - 5.8)
    assert "clips the DJ's converter" in d["Club / DJ"]["verdict"]


@pytest.mark.parametrize(
    ("lufs", "tp", "warned"),
    [
        (-8.2, -1.5, True),  # louder than −14 LUFS: must stay below −2 dBTP
        (-8.2, -2.3, False),
        (-16.3, -0.8, True),  # quieter: must stay below −1 dBTP
        (-16.3, -1.2, False),  # −1.2 would be too hot at −8 LUFS, fine at −16.3 LUFS
        (-14.0, -1.5, False),  # exactly −14 LUFS is not louder than −14 LUFS
    ],
)
def test_the_encoding_warning_depends_on_the_masters_own_peak_and_loudness(
    lufs: float, tp: float, warned: bool
) -> None:
    d = _by_name(lufs, tp)
    for name in STREAMING:
        verdict = d[name]["verdict"]
        assert ("may clip after lossy encoding" in verdict) == warned, (name, verdict)
        assert "will clip" not in verdict  # under 0 dBTP it is a risk, not a certainty
    assert "clip" not in d["Club / DJ"]["verdict"]


def test_the_limit_named_in_the_warning_is_spotifys() -> None:
    assert encoding_peak_limit_dbtp(-8.0) == -2.0 and encoding_peak_limit_dbtp(-16.0) == -1.0
    assert encoding_peak_limit_dbtp(None) == -1.0
    loud = _by_name(-8.2, -1.5)["Tidal"]["verdict"]
    assert "keep it below \u22122.0 dBTP for a master louder than \u221214 LUFS" in loud
    assert "keep it below \u22121.0 dBTP)" in _by_name(-16.3, -0.8)["Tidal"]["verdict"]


def test_a_turn_up_stopped_short_by_the_peaks_says_so_and_by_how_much() -> None:
    d = _by_name(-20.0, -3.0)
    # Spotify would add 6 dB to reach −14 LUFS; the −3 dBTP peak allows only 2 dB (to −1 dBTP), so it plays
    # at −18 LUFS, 4 dB under the others. Apple Music: 4 dB wanted, 2 dB given, 2 dB short of −16 LUFS.
    assert d["Spotify"]["gain_db"] == pytest.approx(2.0) and d["Spotify"]["resulting_lufs"] == pytest.approx(-18.0)
    assert d["Spotify"]["verdict"] == (
        "Will be turned up only 2.0 dB (its \u22123.0 dBTP peaks leave no more room): "
        "it will play 4.0 dB quieter than tracks at \u221214 LUFS."
    )
    assert "turned up only 2.0 dB" in d["Apple Music"]["verdict"]
    assert "2.0 dB quieter than tracks at \u221216 LUFS" in d["Apple Music"]["verdict"]
    assert "6.0 dB quieter than tracks at \u221214 LUFS: it is not turned up there" in d["YouTube"]["verdict"]


def test_a_quiet_master_is_raised_only_where_the_rule_allows_and_only_to_minus_one_dbtp() -> None:
    d = _by_name(-18.0, -4.0)
    # Spotify would add 4 dB but the peak allows only 3 dB (−4 → −1 dBTP).
    assert d["Spotify"]["gain_db"] == pytest.approx(3.0)
    assert d["Spotify"]["resulting_true_peak_dbtp"] == pytest.approx(-1.0)
    assert "1.0 dB quieter" in d["Spotify"]["verdict"]
    # Apple Music wants 2 dB and the peak allows 3: the full turn-up.
    assert d["Apple Music"]["gain_db"] == pytest.approx(2.0)
    assert d["Apple Music"]["verdict"] == "Will be turned up 2.0 dB to meet the others."
    assert d["YouTube"]["gain_db"] == 0.0
    assert "not turned up" in d["YouTube"]["verdict"] and "4.0 dB quieter" in d["YouTube"]["verdict"]


def test_peaks_at_the_limit_leave_no_room_at_all() -> None:
    d = _by_name(-16.3, -1.0)
    assert d["Spotify"]["gain_db"] == 0.0
    assert d["Spotify"]["verdict"] == (
        "Plays 2.3 dB quieter than tracks at \u221214 LUFS: its \u22121.0 dBTP peaks leave no room to turn it up."
    )


def test_verdicts_use_a_true_minus_and_every_destination_names_its_source() -> None:
    for lufs, tp in ((-8.2, 0.4), (-20.0, -3.0), (-16.3, -0.8), (-14.2, 0.4)):
        for d in destination_previews(lufs, tp):
            assert not re.search(r"-\d", d["verdict"]), d["verdict"]
    assert {d.name for d in DESTINATIONS} == {*STREAMING, "Club / DJ"}
    assert all(len(d.published) > 20 for d in DESTINATIONS)


def test_no_loudness_no_previews() -> None:
    assert destination_previews(None, None) == []
