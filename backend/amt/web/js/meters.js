// Meter views beside the player (SPEC §8): PLR over time from the file's own samples, and the spectrum's
// difference from the genre's target as its own curve.

import { COLOURS, axis, finiteRange, mount, spectrumChart } from "./charts.js";
import { isNumber } from "./format.js";

const SHORT_TERM_S = 3; // EBU Tech 3341 short-term window

/**
 * PLR over time, dB: for each short-term loudness entry k (the 3 s window ending at (k + 1)·hop), the
 * window's sample peak in dBFS (the louder channel) minus its loudness. Null where either is undefined.
 * buffer: the decoded file (AudioBuffer); shortTermLufs: the series' short_term_lufs; hopS: its hop, s.
 */
export function plrOverTime(buffer, shortTermLufs, hopS) {
  const sr = buffer.sampleRate;
  const segFrames = hopS * sr;
  const nSeg = Math.ceil(buffer.length / segFrames);
  const segPeak = new Float64Array(nSeg);
  for (let c = 0; c < buffer.numberOfChannels; c++) {
    const x = buffer.getChannelData(c);
    for (let j = 0; j < nSeg; j++) {
      const end = Math.min(x.length, Math.round((j + 1) * segFrames));
      let peak = segPeak[j];
      for (let i = Math.round(j * segFrames); i < end; i++) {
        const v = Math.abs(x[i]);
        if (v > peak) peak = v;
      }
      segPeak[j] = peak;
    }
  }
  const perWindow = Math.round(SHORT_TERM_S / hopS);
  return shortTermLufs.map((lufs, k) => {
    if (!isNumber(lufs) || k >= nSeg) return null;
    let peak = 0;
    for (let j = Math.max(0, k - perWindow + 1); j <= k; j++) if (segPeak[j] > peak) peak = segPeak[j];
    return peak > 0 ? 20 * Math.log10(peak) - lufs : null;
  });
}

/** The PLR-over-time chart, with the whole file's PLR (true peak − integrated loudness) as a dashed line. */
export function plrChart(container, plr, hopS, overallPlrDb) {
  const t = plr.map((_, i) => +(i * hopS).toFixed(3));
  const overall = isNumber(overallPlrDb) ? t.map(() => overallPlrDb) : null;
  const series = [
    { label: "time (s)", value: (u, v) => (v == null ? "—" : v.toFixed(1)) },
    { label: "PLR, 3 s (dB)", stroke: COLOURS.b, width: 2, points: { show: false }, value: (u, v) => (v == null ? "—" : v.toFixed(1)) },
  ];
  const data = [t, plr];
  if (overall) {
    series.push({ label: "whole file (dB)", stroke: COLOURS.target, width: 1.5, dash: [6, 4], points: { show: false },
      value: (u, v) => (v == null ? "—" : v.toFixed(1)) });
    data.push(overall);
  }
  const yRange = finiteRange([plr, overall ? [overallPlrDb] : []], 2, 0);
  const opts = {
    height: 200,
    scales: { x: { time: false }, y: { range: () => yRange } },
    axes: [axis("time (s)", (u, vals) => vals.map((v) => `${v}`)), axis("PLR (dB)")],
    series,
  };
  return mount(container, opts, data);
}

/**
 * The spectrum's difference from the target, dB (this file − target), with the target's tolerance shaded
 * around zero. target: app.js's spectrumTarget() result ({kind: "curve", values, tolerance} per bin, or
 * {kind: "steps", target, file} per band). Returns the curves for spectrumChart.
 */
export function differenceCurves(spec, target, genreName) {
  if (target.kind === "curve") {
    const diff = spec.map((v, i) => (isNumber(v) && isNumber(target.values[i]) ? v - target.values[i] : null));
    return [
      { label: `${genreName} tolerance (dB)`, values: diff.map(() => 0), tolerance: target.tolerance, colour: COLOURS.target,
        dash: [6, 4], width: 1, shade: COLOURS.targetShade },
      { label: "this file − target (dB)", values: diff, colour: COLOURS.shortTerm },
    ];
  }
  const bands = target.target.map((b, i) => {
    const own = target.file[i];
    const level = own && isNumber(own.level) && isNumber(b.level) ? own.level - b.level : null;
    return { lo: b.lo, hi: b.hi, level, tolerance: b.tolerance };
  });
  return [
    { label: `${genreName} tolerance (dB)`, bands: bands.map((b) => ({ ...b, level: 0 })), colour: COLOURS.target,
      dash: [6, 4], width: 1, shade: COLOURS.targetShade },
    { label: "this file − target, per band (dB)", bands: bands.map((b) => ({ ...b, tolerance: null })), colour: COLOURS.shortTerm },
  ];
}

/** Draw the difference chart on the spectrum's frequency axis. */
export function differenceChart(container, freqs, curves, topHz) {
  return spectrumChart(container, freqs, curves, { height: 200, topHz });
}
