"""The closed vocabulary and the typed rows of recommendations and the plan (SPEC §5, §7).

One definition of each shape from the rule to the table to the JSON: a rule builds a
:class:`Recommendation`, the service stores its fields (``action`` as its JSON), and the
API returns the same model; the plan is stored and served as :class:`Plan`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter


class Level(StrEnum):
    """How much a report says (SPEC §5 "Levels")."""

    INFORMATIVE = "informative"
    SUGGESTIVE = "suggestive"
    PRESCRIPTIVE = "prescriptive"


class Stage(StrEnum):
    """What the upload is: a finished master, or a mix going to mastering."""

    MASTER = "master"
    MIX = "mix"


class Severity(StrEnum):
    """How far a figure sits from its target, measured in its tolerance (SPEC §5 "Deviations")."""

    CRITICAL = "critical"
    WARNING = "warning"
    INFO = "info"


class Where(StrEnum):
    """A band of SPEC §4, or the programme as a whole."""

    LOW = "low"
    LOW_MID = "low_mid"
    MID = "mid"
    HIGH_MID = "high_mid"
    HIGH = "high"
    OVERALL = "overall"


BandName = Literal["low", "low_mid", "mid", "high_mid", "high"]
"""A band of SPEC §4 (a step acts on one)."""


class Metric(StrEnum):
    """The figures a recommendation can be about (SPEC §4 names)."""

    ENERGY_RATIO = "energy_ratio"
    STEREO_WIDTH = "stereo_width"
    PHASE_CORRELATION = "phase_correlation"
    INTEGRATED_LUFS = "integrated_lufs"
    LOUDNESS_RANGE_LU = "loudness_range_lu"
    DYNAMIC_RANGE_DB = "dynamic_range_db"
    TRUE_PEAK_DBTP = "true_peak_dbtp"
    CLIP_EVENTS = "clip_events"
    NEGATIVE_CORRELATION_PCT = "negative_correlation_pct"
    SAMPLE_PEAK_DBFS = "sample_peak_dbfs"


class StepKind(StrEnum):
    """Kinds of plan step, in signal-chain order."""

    GAIN = "gain"
    EQ = "eq"
    STEREO = "stereo"
    DYNAMICS = "dynamics"
    LIMITER = "limiter"


CHAIN_ORDER: tuple[StepKind, ...] = tuple(StepKind)
"""Where each kind of step sits in the chain: a mix's fader first, the limiter last."""


class FilterType(StrEnum):
    """RBJ Audio-EQ-Cookbook filter types an EQ step uses."""

    BELL = "bell"
    LOW_SHELF = "low shelf"
    HIGH_SHELF = "high shelf"
    HIGH_PASS = "high pass"
    LOW_PASS = "low pass"


class DynamicsMethod(StrEnum):
    """How a dynamics step moves the loudness range."""

    BUS_COMPRESSION = "bus compression"
    VOLUME_AUTOMATION = "volume automation"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class GainAction(_Frozen):
    """A fader move on the whole programme (a mix's headroom), dB."""

    kind: Literal[StepKind.GAIN] = StepKind.GAIN
    gain_db: float


class EqAction(_Frozen):
    """One RBJ biquad on one band, fitted on the track's spectrum so it moves that band's shape deviation by
    ``band_move_db`` (the SPEC §5 move) and its neighbours' by less than a third of that.

    On the outer bands a shelf's ``gain_db`` is that move (±1 dB); a bell inside a two-octave band moves
    the band's share by about two thirds of its peak gain, so its setting is larger than the move.
    """

    kind: Literal[StepKind.EQ] = StepKind.EQ
    band: BandName
    filter: FilterType
    frequency_hz: float
    gain_db: float
    """The filter's gain setting (the cookbook's dBgain), at most ±6 dB."""
    q: float
    """The cookbook's Q (for shelves too)."""
    band_move_db: float
    """Predicted change of the band's shape deviation, dB."""
    makeup_gain_db: float = 0.0
    """Gain after the filter that keeps the programme's loudness (K-weighted, on the track's spectrum), dB: the
    step changes the balance, not the level."""
    left_for_mix_db: float = 0.0
    """What the 6 dB cap left undone: the band stays this far outside its tolerance, a mix problem, dB."""


class StereoAction(_Frozen):
    """Mid/side on one band: a side-channel gain, or the band made mono below a frequency."""

    kind: Literal[StepKind.STEREO] = StepKind.STEREO
    band: BandName
    side_gain_db: float | None = None
    mono_below_hz: float | None = None
    width_after: float | None = None
    """The band's stereo width the step leads to (side / (mid + side) energy)."""


class SectionSpan(_Frozen):
    """A section of the track the step acts on, s."""

    kind: str
    start_s: float
    end_s: float


class DynamicsAction(_Frozen):
    """Bus compression of the loudest sections, or volume automation of the quiet ones, for the LRA."""

    kind: Literal[StepKind.DYNAMICS] = StepKind.DYNAMICS
    method: DynamicsMethod
    gain_change_db: float
    """Gain reduction on the loudest sections (negative) or the change of the quiet sections, dB."""
    ratio: float | None = None
    attack_ms: float | None = None
    release_ms: float | None = None
    sections: list[SectionSpan] = Field(default_factory=list)
    """The quiet sections automated (volume automation only); never a section the analysis did not find."""
    expected_lra_lu: float


class LimiterAction(_Frozen):
    """The one limiter decision: input gain, true-peak ceiling, and the gain reduction that follows."""

    kind: Literal[StepKind.LIMITER] = StepKind.LIMITER
    input_gain_db: float
    ceiling_dbtp: float
    expected_gain_reduction_db: float
    """On the highest true peaks: (true peak + input gain − ceiling), never less than 0, dB."""


Action = Annotated[GainAction | EqAction | StereoAction | DynamicsAction | LimiterAction, Field(discriminator="kind")]
"""The typed action of a row and of a step."""


class _StepFields(_Frozen):
    order: int
    """1-based place in the chain."""
    because: list[int]
    """Indices (0-based) of the recommendation rows behind the step."""


class GainStep(GainAction, _StepFields):
    """A fader step."""


class EqStep(EqAction, _StepFields):
    """An EQ step."""


class StereoStep(StereoAction, _StepFields):
    """A stereo step."""


class DynamicsStep(DynamicsAction, _StepFields):
    """A dynamics step."""


class LimiterStep(LimiterAction, _StepFields):
    """The limiter step."""


Step = Annotated[GainStep | EqStep | StereoStep | DynamicsStep | LimiterStep, Field(discriminator="kind")]


class Expected(_Frozen):
    """The figures predicted after the whole plan (None when not predictable)."""

    integrated_lufs: float | None
    true_peak_dbtp: float | None
    dynamic_range_db: float | None
    plr_db: float | None


class Plan(_Frozen):
    """The findings turned into one chain (SPEC §5 "The plan")."""

    steps: list[Step] = Field(default_factory=list)
    expected: Expected


class Recommendation(_Frozen):
    """One row of SPEC §5, as stored in ``recommendations`` and returned in the JSON."""

    band: Where
    metric: Metric
    current: float | None
    target: float | None
    deviation: float | None
    tolerance: float | None
    severity: Severity
    message: str
    suggested_change_db: float | None = None
    action: Action | None = None
    step: int | None = None
    """``order`` of the plan step the row belongs to."""


_ACTION: TypeAdapter[Action] = TypeAdapter(Action)  # type: ignore[arg-type,unused-ignore]  # an Annotated union, which pydantic takes


def action_of(step: Step) -> Action:
    """The action a step carries (the step without ``order`` and ``because``)."""
    return _ACTION.validate_python(step.model_dump(exclude={"order", "because"}))
