// A/B compare (GET /api/compare, SPEC §8): pick an analysis and an analysis or reference,
// show the differences a − b (raw or level-matched) and overlay their spectra.

import * as api from "./api.js";
import { COLOURS, bandStepChart, spectrumChart, spectrumTopFromData } from "./charts.js";
import { BAND_LABELS, bandDeviationDb, el, fillTable, fmt, fmtPct, fmtSigned, isNumber } from "./format.js";

const $ = (id) => document.getElementById(id);

const OVERALL_ROWS = [
  ["integrated_lufs", "Integrated loudness", "LUFS", 1],
  ["short_term_max_lufs", "Short-term max", "LUFS", 1],
  ["loudness_range_lu", "Loudness range", "LU", 1],
  ["true_peak_dbtp", "True peak", "dBTP", 1],
  ["dynamic_range_db", "Dynamic range", "dB", 1],
  ["plr_db", "Peak to loudness", "dB", 1],
  ["crest_factor_db", "Crest factor", "dB", 1],
  ["rms_dbfs", "RMS", "dBFS", 1],
  ["stereo_width", "Stereo width", "", 2],
  ["phase_correlation", "Correlation", "", 2],
  ["spectral_centroid_hz", "Spectral centroid", "Hz", 0],
  ["tempo_bpm", "Tempo", "BPM", 1],
];
const BAND_EDGES = [
  { band: "low", freq_low_hz: 20, freq_high_hz: 200 },
  { band: "low_mid", freq_low_hz: 200, freq_high_hz: 500 },
  { band: "mid", freq_low_hz: 500, freq_high_hz: 2000 },
  { band: "high_mid", freq_low_hz: 2000, freq_high_hz: 6000 },
  { band: "high", freq_low_hz: 6000, freq_high_hz: 20000 },
];

let lastResult = null;
let onUnavailable = () => {};

/**
 * Fill the A and B pickers from analyses (newest first) and the reference list, keeping the choices.
 * `listed` of `total` analyses are loaded; `loadOlder()` loads more (shown as a button while some are missing).
 */
export function fillPickers(analyses, references, currentId, { listed = analyses.length, total = analyses.length, loadOlder = null } = {}) {
  const a = $("compare-a");
  const b = $("compare-b");
  const keepA = currentId || a.value;
  const keepB = b.value;
  const label = (it) => `${it.filename} · ${fmt(it.integrated_lufs)} LUFS`;
  a.replaceChildren(...analyses.map((it) => el("option", { value: it.id }, label(it))));
  const refs = [...references].sort((x, y) => (x.genre || "").localeCompare(y.genre || "") || x.name.localeCompare(y.name));
  b.replaceChildren(
    el("optgroup", { label: "Analyses" }, analyses.map((it) => el("option", { value: it.id }, label(it)))),
    el("optgroup", { label: "References" }, refs.map((r) => el("option", { value: r.id }, (r.name || "").includes(r.genre) ? r.name : `${r.name} (${r.genre})`))),
  );
  if (keepA && analyses.some((it) => it.id === keepA)) a.value = keepA;
  const options = [...b.options].map((o) => o.value);
  if (keepB && options.includes(keepB)) b.value = keepB;
  else {
    const other = analyses.find((it) => it.id !== a.value);
    b.value = refs.length ? refs[0].id : other ? other.id : "";
  }
  $("compare-button").disabled = !a.value || !b.value;
  const more = $("compare-older");
  more.hidden = !loadOlder || listed >= total;
  more.textContent = `List older analyses (${listed} of ${total} listed)`;
  more.onclick = loadOlder;
}

/** Pre-select B (e.g. the most similar reference). */
export function suggestB(id) {
  const b = $("compare-b");
  if ([...b.options].some((o) => o.value === id)) b.value = id;
}

function pairCells(pair, digits, unit) {
  const diff = pair ? pair.difference : null;
  const tone = !isNumber(diff) ? "" : Math.abs(diff) < (digits >= 2 ? 0.05 : 0.5) ? "same" : diff > 0 ? "up" : "down";
  return [
    el("td", { class: "num" }, fmt(pair && pair.a, digits)),
    el("td", { class: "num" }, fmt(pair && pair.b, digits)),
    el("td", { class: `num diff ${tone}` }, fmtSigned(diff, digits), unit ? el("span", { class: "muted small" }, ` ${unit}`) : null),
  ];
}

/** "B turned down 14.0 dB", "B turned up 2.5 dB", "B already as loud as A". */
function gainWords(gain) {
  const text = fmt(Math.abs(gain));
  if (!isNumber(gain) || text === fmt(0)) return "B is already as loud as A";
  return `B turned ${gain < 0 ? "down" : "up"} ${text} dB`;
}

function render(result, matched) {
  const table = matched && result.level_matched ? result.level_matched : result;
  const overall = table.overall || {};
  const bands = table.bands || {};
  const nameA = result.a.name;
  const nameB = `${result.b.name}${result.b.kind === "reference" ? " (reference)" : ""}`;
  $("compare-note").textContent =
    matched && result.level_matched
      ? `${gainWords(result.level_matched.gain_db)} to match A's integrated loudness; differences are A − B. A: ${nameA} · B: ${nameB}`
      : `A: ${nameA} · B: ${nameB}. Differences are A − B.`;
  fillTable($("compare-table"), ["Metric", "A", "B", "A − B"],
    OVERALL_ROWS.filter(([k]) => k in overall).map(([k, label, unit, digits]) =>
      el("tr", { dataset: { metric: k } },
        el("th", { scope: "row" }, label, unit ? el("span", { class: "muted small" }, ` (${unit})`) : null),
        ...pairCells(overall[k], digits, unit))));

  fillTable($("compare-bands-table"),
    ["Band", "Energy A (%)", "Energy B (%)", "A vs B (dB)", "RMS A (dB)", "RMS B (dB)", "A − B (dB)", "Width A", "Width B", "A − B"],
    Object.keys(BAND_LABELS).filter((band) => bands[band]).map((band) => {
      const m = bands[band];
      const e = m.energy_ratio || {};
      const dev = bandDeviationDb(e.a, e.b);
      return el("tr", { dataset: { band } },
        el("th", { scope: "row" }, BAND_LABELS[band]),
        el("td", { class: "num" }, fmtPct(e.a)),
        el("td", { class: "num" }, fmtPct(e.b)),
        el("td", { class: "num diff" }, fmtSigned(dev)),
        ...pairCells(m.rms_db, 1, ""),
        ...pairCells(m.stereo_width, 2, ""));
    }));
}

async function drawOverlay(result, matched) {
  const chart = $("compare-chart");
  const note = $("compare-chart-note");
  const gain = matched && result.level_matched ? result.level_matched.gain_db || 0 : 0;
  let seriesA = null;
  let seriesB = null;
  try {
    seriesA = await api.getSeries(result.a.id);
    seriesB = result.b.kind === "analysis" ? await api.getSeries(result.b.id) : await api.getReferenceSeries(result.b.id);
  } catch {
    seriesA = seriesB = null;
  }
  const hasSpectrum = (s) => s && Array.isArray(s.spectrum_db) && Array.isArray(s.spectrum_freqs_hz) && s.spectrum_db.length;
  if (hasSpectrum(seriesA) && hasSpectrum(seriesB) && seriesA.spectrum_freqs_hz.length === seriesB.spectrum_freqs_hz.length) {
    spectrumChart(chart, seriesA.spectrum_freqs_hz, [
      { label: "A (dB)", values: seriesA.spectrum_db, colour: COLOURS.a },
      { label: "B (dB)", values: seriesB.spectrum_db.map((v) => (isNumber(v) ? v + gain : null)), colour: COLOURS.b },
    ], { height: 300, topHz: spectrumTopFromData(seriesA.spectrum_freqs_hz, seriesA.spectrum_db, seriesB.spectrum_db) });
    note.textContent = "Long-term spectra, 1/6 octave." + (gain ? ` ${gainWords(gain)} (level-matched).` : "");
    return;
  }
  const table = matched && result.level_matched ? result.level_matched : result;
  const bands = BAND_EDGES.filter((b) => table.bands && table.bands[b.band]);
  if (!bands.length) {
    chart.replaceChildren();
    note.textContent = "";
    return;
  }
  bandStepChart(chart, bands, [
    { label: "A (dB)", values: bands.map((b) => (table.bands[b.band].rms_db || {}).a), colour: COLOURS.a },
    { label: "B (dB)", values: bands.map((b) => (table.bands[b.band].rms_db || {}).b), colour: COLOURS.b },
  ], { height: 300 });
  note.textContent = "Band levels (RMS per band): no stored spectrum to overlay." + (gain ? ` ${gainWords(gain)} (level-matched).` : "");
}

async function run(event) {
  if (event) event.preventDefault();
  const a = $("compare-a").value;
  const b = $("compare-b").value;
  const error = $("compare-error");
  error.hidden = true;
  if (!a || !b) return;
  $("compare-button").disabled = true;
  try {
    lastResult = await api.compare(a, b);
    $("compare-result").hidden = false;
    render(lastResult, $("compare-matched").checked);
    await drawOverlay(lastResult, $("compare-matched").checked);
  } catch (err) {
    if (err.status === 404 && /^not found$/i.test(err.message)) {
      onUnavailable();
      return;
    }
    error.textContent = err.message;
    error.hidden = false;
  } finally {
    $("compare-button").disabled = false;
  }
}

/** Wire the compare form; `unavailable` is called if the server turns out not to have the endpoint. */
export function initCompare({ unavailable }) {
  onUnavailable = unavailable || onUnavailable;
  $("compare-form").addEventListener("submit", run);
  $("compare-matched").addEventListener("change", () => {
    if (!lastResult) return;
    render(lastResult, $("compare-matched").checked);
    drawOverlay(lastResult, $("compare-matched").checked);
  });
}
