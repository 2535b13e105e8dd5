// Plots with the vendored uPlot (global `uPlot`, loaded by index.html): loudness over time,
// long-term spectrum against a target, and the A/B overlays.

import { fmtHz, isNumber } from "./format.js";

export const COLOURS = {
  shortTerm: "#4fc3f7",
  momentary: "rgba(79, 195, 247, 0.35)",
  target: "#ffb74d",
  targetShade: "rgba(255, 183, 77, 0.18)",
  bandAverage: "#b3e5fc",
  a: "#4fc3f7",
  b: "#f06292",
  axis: "#9aa7b4",
  grid: "rgba(255, 255, 255, 0.07)",
  bandEdge: "rgba(255, 255, 255, 0.16)",
  clip: "#f85149",
  playhead: "rgba(230, 237, 243, 0.8)",
  loop: "rgba(79, 195, 247, 0.12)",
};

const SECTION_FILL = {
  drop: "rgba(240, 98, 146, 0.13)",
  breakdown: "rgba(129, 199, 132, 0.12)",
  build: "rgba(255, 183, 77, 0.10)",
  intro: "rgba(255, 255, 255, 0.05)",
  outro: "rgba(255, 255, 255, 0.05)",
};
const BAND_EDGES_HZ = [200, 500, 2000, 6000];
const BAND_NAMES = ["low", "low mid", "mid", "high mid", "high"];
const FREQ_TICKS_HZ = [20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000];
export const SPECTRUM_LOW_HZ = 20;
export const SPECTRUM_HIGH_HZ = 20000;

/** The top of a spectrum plot: 20 kHz, or Nyquist when that is lower (nothing is measured above it). */
export function spectrumTopHz(sampleRate) {
  return isNumber(sampleRate) && sampleRate > 0 ? Math.min(SPECTRUM_HIGH_HZ, sampleRate / 2) : SPECTRUM_HIGH_HZ;
}

/**
 * The top of a spectrum plot when the sample rate is not known: the upper edge of the highest 1/6-octave
 * bin holding a value in any of `arrays`, at most 20 kHz.
 */
export function spectrumTopFromData(freqs, ...arrays) {
  let last = -1;
  for (const arr of arrays) {
    for (let i = (arr || []).length - 1; i > last; i--) {
      if (isNumber(arr[i])) {
        last = i;
        break;
      }
    }
  }
  return last >= 0 && isNumber(freqs[last]) ? Math.min(SPECTRUM_HIGH_HZ, freqs[last] * 2 ** (1 / 12)) : SPECTRUM_HIGH_HZ;
}

const charts = new Map(); // container element → uPlot instance

export function axis(label, values) {
  return {
    label,
    stroke: COLOURS.axis,
    labelFont: "12px system-ui, sans-serif",
    font: "11px system-ui, sans-serif",
    grid: { stroke: COLOURS.grid, width: 1 },
    ticks: { stroke: COLOURS.grid, width: 1 },
    values,
  };
}

function chartSize(container, height) {
  return { width: Math.max(280, Math.floor(container.clientWidth || 600)), height };
}

export function mount(container, opts, data) {
  const old = charts.get(container);
  if (old) old.destroy();
  container.replaceChildren();
  const plot = new uPlot({ ...opts, ...chartSize(container, opts.height) }, data, container);
  charts.set(container, plot);
  container.uplot = plot; // what is drawn (data, series labels, scales), for the page's tests and the console
  return plot;
}

/** Keep every chart as wide as its container. */
export function watchResize() {
  let pending = null;
  window.addEventListener("resize", () => {
    clearTimeout(pending);
    pending = setTimeout(() => {
      for (const [container, plot] of charts) {
        if (!container.isConnected) continue;
        plot.setSize(chartSize(container, plot.height));
      }
    }, 120);
  });
}

export function finiteRange(arrays, pad, floor = -Infinity) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const arr of arrays) {
    for (const v of arr || []) {
      if (isNumber(v)) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
  }
  if (!Number.isFinite(lo)) return [-60, 0];
  return [Math.max(floor, Math.floor(lo - pad)), Math.ceil(hi + pad)];
}

/** Mean of the entries of `a` and `b` that are both numbers, as [meanA, meanB] (null if none). */
function pairedMeans(a, b) {
  let sa = 0;
  let sb = 0;
  let n = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (isNumber(a[i]) && isNumber(b[i])) {
      sa += a[i];
      sb += b[i];
      n++;
    }
  }
  return n ? [sa / n, sb / n] : null;
}

/** `curve` shifted so its mean over the shared bins equals that of `reference` (tonal balance, not level). */
export function alignByMean(reference, curve) {
  const means = pairedMeans(reference, curve);
  if (!means) return null;
  const shift = means[0] - means[1];
  return curve.map((v) => (isNumber(v) ? v + shift : null));
}

/**
 * Short-term and momentary loudness over time with the target as a line and sections shaded.
 * series: the /series JSON; targetLufs: number or null; sections: [{kind, start_s, end_s}] or [].
 * Clip events (series.clip_times_s, s) are marked as red ticks along the top. With `onSelect(t0_s, t1_s)` a
 * drag across the plot chooses a region (kept shaded as `region()` returns it) instead of zooming; `playhead()`
 * (s or null) is drawn as a line.
 */
export function loudnessChart(
  container,
  series,
  { targetLufs = null, sections = [], onSelect = null, region = null, playhead = null } = {},
) {
  const st = series.short_term_lufs || [];
  const mo = series.momentary_lufs || [];
  const hop = series.loudness_hop_s || 0.1;
  const n = Math.max(st.length, mo.length);
  const t = Array.from({ length: n }, (_, i) => +(i * hop).toFixed(3));
  const target = isNumber(targetLufs) ? t.map(() => targetLufs) : null;
  const yRange = finiteRange([st, mo, target ? [targetLufs] : []], 2, -70);
  yRange[0] = Math.max(yRange[0], finiteRange([st], 8)[0]);

  const shade = (u) => {
    if (!sections.length) return;
    const { ctx } = u;
    const { top, height } = u.bbox;
    ctx.save();
    ctx.font = `${Math.round(11 * devicePixelRatio)}px system-ui, sans-serif`;
    ctx.textBaseline = "top";
    for (const s of sections) {
      const x0 = u.valToPos(s.start_s, "x", true);
      const x1 = u.valToPos(s.end_s, "x", true);
      ctx.fillStyle = SECTION_FILL[s.kind] || "rgba(255, 255, 255, 0.06)";
      ctx.fillRect(x0, top, x1 - x0, height);
      ctx.fillStyle = "rgba(230, 237, 243, 0.55)";
      // label only where the whole word fits (with 4 px either side), so narrow screens never overlap labels
      const pad = 4 * devicePixelRatio;
      if (ctx.measureText(s.kind).width + 2 * pad <= x1 - x0) ctx.fillText(s.kind, x0 + pad, top + pad);
    }
    ctx.restore();
  };

  const clips = (series.clip_times_s || []).filter(isNumber);
  const marks = (u) => {
    const { ctx } = u;
    const { left, top, width, height } = u.bbox;
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top, width, height);
    ctx.clip();
    const shown = region && region();
    if (shown) {
      const x0 = u.valToPos(shown[0], "x", true);
      ctx.fillStyle = COLOURS.loop;
      ctx.fillRect(x0, top, u.valToPos(shown[1], "x", true) - x0, height);
    }
    ctx.strokeStyle = COLOURS.clip;
    ctx.lineWidth = 2 * devicePixelRatio;
    for (const c of clips) {
      const x = Math.round(u.valToPos(c, "x", true)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, top + 10 * devicePixelRatio);
      ctx.stroke();
    }
    const at = playhead && playhead();
    if (isNumber(at)) {
      const x = Math.round(u.valToPos(at, "x", true)) + 0.5;
      ctx.strokeStyle = COLOURS.playhead;
      ctx.lineWidth = devicePixelRatio;
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, top + height);
      ctx.stroke();
    }
    ctx.restore();
  };
  const select = (u) => {
    if (!onSelect || u.select.width < 2) return;
    onSelect(u.posToVal(u.select.left, "x"), u.posToVal(u.select.left + u.select.width, "x"));
    u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
  };

  const opts = {
    height: 260,
    cursor: { drag: { x: true, y: false, setScale: !onSelect } },
    scales: { x: { time: false }, y: { range: () => yRange } },
    axes: [axis("time (s)", (u, vals) => vals.map((v) => `${v}`)), axis("LUFS")],
    series: [
      { label: "time (s)", value: (u, v) => (v == null ? "—" : v.toFixed(1)) },
      { label: "momentary (LUFS)", stroke: COLOURS.momentary, width: 1, points: { show: false }, value: (u, v) => (v == null ? "—" : v.toFixed(1)) },
      { label: "short-term (LUFS)", stroke: COLOURS.shortTerm, width: 2, points: { show: false }, value: (u, v) => (v == null ? "—" : v.toFixed(1)) },
    ],
    hooks: { drawClear: [shade], draw: [marks], setSelect: [select] },
  };
  const data = [t, t.map((_, i) => (isNumber(mo[i]) ? mo[i] : null)), t.map((_, i) => (isNumber(st[i]) ? st[i] : null))];
  if (target) {
    opts.series.push({ label: "target (LUFS)", stroke: COLOURS.target, width: 1.5, dash: [6, 4], points: { show: false } });
    data.push(target);
  }
  return mount(container, opts, data);
}

function drawBandEdges(u) {
  const { ctx } = u;
  const { top, height } = u.bbox;
  ctx.save();
  ctx.strokeStyle = COLOURS.bandEdge;
  ctx.setLineDash([3, 4]);
  ctx.lineWidth = devicePixelRatio;
  for (const hz of BAND_EDGES_HZ) {
    const x = Math.round(u.valToPos(hz, "x", true)) + 0.5;
    ctx.beginPath();
    ctx.moveTo(x, top);
    ctx.lineTo(x, top + height);
    ctx.stroke();
  }
  ctx.setLineDash([]);
  ctx.font = `${Math.round(10 * devicePixelRatio)}px system-ui, sans-serif`;
  ctx.fillStyle = "rgba(230, 237, 243, 0.45)";
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  const edges = [20, ...BAND_EDGES_HZ, 20000];
  for (let i = 0; i < BAND_NAMES.length; i++) {
    const lo = Math.max(edges[i], u.scales.x.min);
    const hi = Math.min(edges[i + 1], u.scales.x.max);
    if (!(hi > lo)) continue;
    const room = u.valToPos(hi, "x", true) - u.valToPos(lo, "x", true);
    if (ctx.measureText(BAND_NAMES[i]).width + 6 * devicePixelRatio > room) continue;
    ctx.fillText(BAND_NAMES[i], u.valToPos(Math.sqrt(lo * hi), "x", true), top + 4 * devicePixelRatio);
  }
  ctx.restore();
}

function freqAxis() {
  return {
    ...axis("frequency (Hz)", (u, vals) => vals.map((v) => (v == null ? "" : fmtHz(v)))),
    splits: (u) => {
      // keep ticks at least 34 CSS px apart so narrow charts stay readable
      const kept = [];
      let last = -Infinity;
      for (const f of FREQ_TICKS_HZ) {
        if (f < u.scales.x.min || f > u.scales.x.max) continue;
        const x = u.valToPos(f, "x");
        if (x - last >= 34 || [100, 1000, 10000].includes(f)) {
          if (x - last < 34 && kept.length && ![100, 1000, 10000].includes(kept[kept.length - 1])) kept.pop();
          kept.push(f);
          last = x;
        }
      }
      return kept;
    },
    filter: (u, splits) => splits, // label every chosen tick (uPlot thins log-axis labels by default)
  };
}

/** The level of a stepped curve at `f` Hz: the band with lo ≤ f < hi (the last band also at its top edge). */
function stepValue(bands, f) {
  for (let i = 0; i < bands.length; i++) {
    const b = bands[i];
    if (f >= b.lo && (f < b.hi || (i === bands.length - 1 && f <= b.hi))) return isNumber(b.level) ? b.level : null;
  }
  return null;
}

/** Shade each curve's tolerance (±tolerance dB around it) under the lines, clipped to the plot. */
function shadeTolerances(shades) {
  return (u) => {
    if (!shades.length) return;
    const { ctx } = u;
    const { left, top, width, height } = u.bbox;
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top, width, height);
    ctx.clip();
    for (const s of shades) {
      ctx.fillStyle = s.fill;
      if (s.bands) {
        for (const b of s.bands) {
          if (!isNumber(b.level) || !isNumber(b.tolerance)) continue;
          const x0 = u.valToPos(b.lo, "x", true);
          const x1 = u.valToPos(b.hi, "x", true);
          const y0 = u.valToPos(b.level + b.tolerance, "y", true);
          const y1 = u.valToPos(b.level - b.tolerance, "y", true);
          ctx.fillRect(x0, y0, x1 - x0, y1 - y0);
        }
        continue;
      }
      // a per-bin curve: one polygon per run of bins that have a value
      let run = [];
      const flush = () => {
        if (run.length > 1) {
          ctx.beginPath();
          run.forEach(([f, v, t], k) => {
            const px = u.valToPos(f, "x", true);
            const py = u.valToPos(v + t, "y", true);
            if (k === 0) ctx.moveTo(px, py);
            else ctx.lineTo(px, py);
          });
          for (let k = run.length - 1; k >= 0; k--) ctx.lineTo(u.valToPos(run[k][0], "x", true), u.valToPos(run[k][1] - run[k][2], "y", true));
          ctx.closePath();
          ctx.fill();
        }
        run = [];
      };
      s.x.forEach((f, i) => {
        if (isNumber(s.values[i]) && isNumber(s.tolerance[i])) run.push([f, s.values[i], s.tolerance[i]]);
        else flush();
      });
      flush();
    }
    ctx.restore();
  };
}

/**
 * Log-frequency spectrum chart from 20 Hz to `topHz` (20 kHz, or Nyquist below that).
 * curves: [{label, colour, dash?, width?, values (on the shared `freqs`, Hz), tolerance? (dB per bin)}]
 * or [{label, colour, …, bands: [{lo, hi, level, tolerance?}]}] for a level per band drawn as steps.
 * A curve's tolerance is shaded in its colour (`shade`).
 */
export function spectrumChart(container, freqs, curves, { height = 260, topHz = SPECTRUM_HIGH_HZ } = {}) {
  const onFreqs = new Map();
  freqs.forEach((f, i) => {
    if (isNumber(f) && f > 0) onFreqs.set(f, i);
  });
  // stepped curves change level exactly at their band edges, so the edges join the x values
  const xs = new Set(onFreqs.keys());
  for (const c of curves) for (const b of c.bands || []) xs.add(b.lo).add(Math.min(b.hi, topHz));
  const x = [...xs].sort((p, q) => p - q);
  const ys = curves.map((c) =>
    c.bands
      ? x.map((f) => stepValue(c.bands, f))
      : x.map((f) => (onFreqs.has(f) && isNumber(c.values[onFreqs.get(f)]) ? c.values[onFreqs.get(f)] : null)),
  );
  // the y range covers what is in view: the curves and their shaded tolerances between 20 Hz and topHz
  const inView = (arr) => arr.map((v, i) => (x[i] >= SPECTRUM_LOW_HZ && x[i] <= topHz ? v : null));
  const extents = ys.map(inView);
  const shades = [];
  curves.forEach((c, k) => {
    if (!c.shade) return;
    if (c.bands) {
      shades.push({ fill: c.shade, bands: c.bands });
      extents.push(c.bands.flatMap((b) => (isNumber(b.level) && isNumber(b.tolerance) ? [b.level + b.tolerance, b.level - b.tolerance] : [])));
    } else if (Array.isArray(c.tolerance)) {
      const tol = x.map((f) => (onFreqs.has(f) ? c.tolerance[onFreqs.get(f)] : null));
      const bins = x.map((f, i) => i).filter((i) => onFreqs.has(x[i])); // not the band-edge x values
      shades.push({ fill: c.shade, x: bins.map((i) => x[i]), values: bins.map((i) => ys[k][i]), tolerance: bins.map((i) => tol[i]) });
      const edge = (sign) => inView(ys[k].map((v, i) => (isNumber(v) && isNumber(tol[i]) ? v + sign * tol[i] : null)));
      extents.push(edge(1), edge(-1));
    }
  });
  const yRange = finiteRange(extents, 3, -140);
  const stepped = uPlot.paths && uPlot.paths.stepped ? uPlot.paths.stepped({ align: 1 }) : undefined;
  const opts = {
    height,
    scales: { x: { time: false, distr: 3, log: 10, range: () => [SPECTRUM_LOW_HZ, topHz] }, y: { range: () => yRange } },
    axes: [freqAxis(), axis("dB")],
    series: [
      { label: "Hz", value: (u, v) => (v == null ? "—" : `${fmtHz(v)} Hz`) },
      ...curves.map((c) => ({
        label: c.label,
        stroke: c.colour,
        width: c.width || 2,
        dash: c.dash,
        paths: c.bands ? stepped : undefined,
        spanGaps: !c.bands, // the band-edge x values carry no bin value
        points: { show: false },
        value: (u, v) => (v == null ? "—" : `${v.toFixed(1)} dB`),
      })),
    ],
    hooks: { drawClear: [shadeTolerances(shades), drawBandEdges] },
  };
  return mount(container, opts, [x, ...ys]);
}

/**
 * Stepped band-level chart (one level per band over its frequency range): for A/B when B has no spectrum.
 * bands: [{freq_low_hz, freq_high_hz}], curves: [{label, values (per band), colour}].
 */
export function bandStepChart(container, bands, curves, { height = 260, topHz = SPECTRUM_HIGH_HZ } = {}) {
  const x = [...bands.map((b) => b.freq_low_hz), Math.min(topHz, bands[bands.length - 1].freq_high_hz)];
  const ys = curves.map((c) => [...c.values, c.values[c.values.length - 1]].map((v) => (isNumber(v) ? v : null)));
  const yRange = finiteRange(ys, 3, -140);
  const stepped = uPlot.paths && uPlot.paths.stepped ? uPlot.paths.stepped({ align: 1 }) : undefined;
  const opts = {
    height,
    scales: { x: { time: false, distr: 3, log: 10, range: () => [SPECTRUM_LOW_HZ, topHz] }, y: { range: () => yRange } },
    axes: [freqAxis(), axis("band level (dB)")],
    series: [
      { label: "Hz", value: (u, v) => (v == null ? "—" : `${fmtHz(v)} Hz`) },
      ...curves.map((c) => ({
        label: c.label,
        stroke: c.colour,
        width: 2,
        paths: stepped,
        points: { show: false },
        value: (u, v) => (v == null ? "—" : `${v.toFixed(1)} dB`),
      })),
    ],
    hooks: { drawClear: [drawBandEdges] },
  };
  return mount(container, opts, [x, ...ys]);
}
