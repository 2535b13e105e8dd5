"""Applying the plan (SPEC §5): measure → judge → render the plan with the reference chain → measure again.

Only this workflow touches files; the chain itself (:mod:`mastering.chain`) is pure.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from amt.analysis import decode
from amt.analysis.engine import analyze_blocks
from amt.analysis.result import AnalysisResult, OverallMetrics
from amt.api.services.analysis import AnalysisCancelledError
from amt.api.services.recommend import Judgement, judge_result
from amt.api.services.recommend.model import (
    DynamicsAction,
    DynamicsMethod,
    DynamicsStep,
    EqStep,
    GainStep,
    Level,
    LimiterStep,
    Plan,
    Stage,
    StepKind,
    StereoStep,
)
from amt.config.constants import BANDS, GenreTarget
from amt.mastering.chain import BandStereo, Chain, Compressor, EqBand, Span, render
from amt.utils.errors import ValidationError

CHAIN_KINDS: tuple[StepKind, ...] = (StepKind.EQ, StepKind.STEREO, StepKind.DYNAMICS, StepKind.LIMITER)
"""What ``--only`` may name."""
SINE_RMS_DB = 3.01
"""RMS of a full-scale sine in the compressor's scale (dB above the dBFS RMS of SPEC §4)."""


def _compressor(step: DynamicsAction, overall: OverallMetrics) -> Compressor | None:
    """Threshold such that the loudest sections (the short-term maximum) lose ``gain_change_db`` at the ratio."""
    if (
        step.ratio is None
        or step.ratio <= 1.0
        or overall.short_term_max_lufs is None
        or overall.integrated_lufs is None
        or overall.rms_dbfs is None
    ):
        return None
    loudest_rms = overall.rms_dbfs + SINE_RMS_DB + overall.short_term_max_lufs - overall.integrated_lufs
    threshold = loudest_rms - abs(step.gain_change_db) / (1.0 - 1.0 / step.ratio)
    return Compressor(threshold, step.ratio, step.attack_ms or 30.0, step.release_ms or 300.0)


def chain_of(plan: Plan, overall: OverallMetrics, only: Collection[StepKind] | None = None) -> Chain:
    """The reference chain's settings for a plan's steps (all of them, or the kinds in ``only``)."""
    edges = {b.name: (b.low_hz, b.high_hz) for b in BANDS}
    gain, eq, stereo, comp, spans, drive, ceiling = 0.0, [], [], None, [], 0.0, None
    for step in plan.steps:
        if only is not None and step.kind not in only:
            continue
        if isinstance(step, GainStep):
            gain += step.gain_db
        elif isinstance(step, EqStep):
            eq.append(EqBand(step.filter.value, step.frequency_hz, step.gain_db, step.q, step.makeup_gain_db))
        elif isinstance(step, StereoStep):
            lo, hi = edges[step.band]
            stereo.append(BandStereo(lo, hi, step.side_gain_db or 0.0, step.mono_below_hz))
        elif isinstance(step, DynamicsStep):
            if step.method is DynamicsMethod.BUS_COMPRESSION:
                comp = _compressor(step, overall)
            else:
                spans = [Span(s.start_s, s.end_s, step.gain_change_db) for s in step.sections]
        elif isinstance(step, LimiterStep):
            drive, ceiling = step.input_gain_db, step.ceiling_dbtp
    return Chain(
        gain_db=gain,
        eq=tuple(eq),
        stereo=tuple(stereo),
        compressor=comp,
        automation=tuple(spans),
        limiter_gain_db=drive,
        ceiling_dbtp=ceiling,
    )


def parse_only(text: str | None) -> set[StepKind] | None:
    """``eq,limiter`` → those step kinds; None (every step) for no text. ValidationError naming an unknown kind."""
    if not text or not text.strip():
        return None
    kinds = {k.strip().lower() for k in text.split(",") if k.strip()}
    known = {k.value for k in CHAIN_KINDS}
    unknown = sorted(kinds - known)
    if unknown:
        shown = ", ".join(u[:20] for u in unknown[:3])
        raise ValidationError(f"Unknown step kind {shown}; use any of {', '.join(sorted(known))}.")
    return {StepKind(k) for k in kinds}


@dataclass(frozen=True)
class Mastered:
    """What ``master`` did: the figures before, the plan, the figures after."""

    before: AnalysisResult
    judgement: Judgement
    after: AnalysisResult
    chain: Chain


def measure(
    path: Path,
    *,
    max_duration_s: float | None = None,
    cancel: threading.Event | None = None,
    share: tuple[float, float] = (0.0, 1.0),
) -> AnalysisResult:
    """Decode a file block by block and run every §4 metric on it; stopped between blocks when ``cancel`` is set
    (AnalysisCancelledError, its fraction mapped into ``share`` of the whole job)."""
    info = decode.probe(path, max_duration_s=max_duration_s)
    blocks = decode.iter_blocks(path, info=info)
    if cancel is None:
        return analyze_blocks(blocks, info)

    def check(fraction: float) -> None:
        if cancel.is_set():
            raise AnalysisCancelledError(share[0] + fraction * (share[1] - share[0]))

    check(0.0)
    return analyze_blocks(blocks, info, progress=check)


def _until_cancelled(blocks: Iterator[np.ndarray], frames: int, cancel: threading.Event | None) -> Iterator[np.ndarray]:
    """``blocks`` as they are, stopping (AnalysisCancelledError) once ``cancel`` is set: rendering is the middle
    third of the job."""
    done = 0
    for block in blocks:
        if cancel is not None and cancel.is_set():
            raise AnalysisCancelledError((1.0 + done / max(frames, 1)) / 3.0)
        done += len(block)
        yield block


def master_file(
    src: Path,
    dest: Path,
    *,
    target: GenreTarget | None,
    stage: Stage | str = Stage.MASTER,
    only: Collection[StepKind] | None = None,
    max_duration_s: float | None = None,
    cancel: threading.Event | None = None,
) -> Mastered:
    """Render ``src``'s prescriptive plan into ``dest`` (32-bit float WAV), block by block, and measure the result.

    ``cancel`` set (the client went away) stops the work between blocks with AnalysisCancelledError; ``dest``
    may then hold part of the output and is the caller's to remove.
    """
    before = measure(src, max_duration_s=max_duration_s, cancel=cancel, share=(0.0, 1.0 / 3.0))
    judgement = judge_result(before, target, level=Level.PRESCRIPTIVE, stage=stage)
    chain = chain_of(judgement.plan, before.overall, only)
    info = before.audio
    with sf.SoundFile(
        dest, "w", samplerate=info.sample_rate, channels=info.channels, subtype="FLOAT", format="WAV"
    ) as out:
        for block in render(
            _until_cancelled(decode.iter_blocks(src, info=info), info.frames, cancel), info.sample_rate, chain
        ):
            out.write(np.ascontiguousarray(block, dtype=np.float32))
    return Mastered(before, judgement, measure(dest, cancel=cancel, share=(2.0 / 3.0, 1.0)), chain)
