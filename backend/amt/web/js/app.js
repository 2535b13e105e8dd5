// Entry point: the upload form, the history, and opening one analysis with its plots.

import * as api from "./api.js";
import { COLOURS, alignByMean, loudnessChart, spectrumChart, spectrumTopHz, watchResize } from "./charts.js";
import { fillPickers, initCompare, suggestB } from "./compare.js";
import { differenceChart, differenceCurves, plrChart, plrOverTime } from "./meters.js";
import * as player from "./player.js";
import { bandTolerance, el, findGenre, fmt, fmtDate, isNumber, statusTruePeak } from "./format.js";
import {
  renderBands,
  renderCards,
  renderDestinations,
  renderHeader,
  renderRecommendations,
  renderSections,
  renderSimilar,
} from "./render.js";

const $ = (id) => document.getElementById(id);

const HISTORY_PAGE = 20;
const PICKER_PAGE = 500; // the most /api/analyses returns at once
const PICKER_STEP = 1000; // analyses the compare pickers list, and add per "List older"
const GENRE_KEY = "amt.genre"; // localStorage: the genre last chosen, remembered between visits

const state = {
  genres: [],
  references: [],
  history: [],
  historyOffset: 0,
  historyTotal: 0,
  pickerItems: [], // analyses the compare pickers offer, newest first (loaded PICKER_PAGE at a time)
  pickerTotal: 0,
  current: null, // the open analysis as a history item, so the pickers always offer it
  currentId: null,
  compareAvailable: false,
  openToken: 0,
  shown: null, // {analysis, series} on screen, for the PLR plot once the file is decoded
  decoded: new Map(), // analysis id → its file decoded in this page (AudioBuffer), for PLR over time
};

// ---------------------------------------------------------------- setup

async function loadGenres() {
  try {
    state.genres = (await api.getGenres()) || [];
  } catch {
    state.genres = [];
  }
  const select = $("genre-select");
  const none = select.options[0];
  select.replaceChildren(none, ...state.genres.map((g) => el("option", { value: g.name }, g.name)));
}

async function loadSettings() {
  try {
    const s = await api.getSettings();
    if (s.default_genre && findGenre(state.genres, s.default_genre)) $("genre-select").value = findGenre(state.genres, s.default_genre).name;
    if (s.default_recommendation_level) $("level-select").value = s.default_recommendation_level;
    if (s.default_stage) $("stage-select").value = s.default_stage;
  } catch {
    // the defaults in the HTML stand
  }
}

/** The genre chosen on an earlier visit, when the list still has it ("" = none); it beats the server's default. */
function restoreGenre() {
  let saved = null;
  try {
    saved = localStorage.getItem(GENRE_KEY);
  } catch {
    return; // storage refused (private mode): the default stands
  }
  if (saved === null) return;
  const genre = saved ? findGenre(state.genres, saved) : null;
  if (!saved || genre) $("genre-select").value = genre ? genre.name : "";
}

function rememberGenre() {
  try {
    localStorage.setItem(GENRE_KEY, $("genre-select").value);
  } catch {
    // not remembered; nothing else depends on it
  }
}

async function loadReferences() {
  try {
    state.references = (await api.getReferences()) || [];
  } catch {
    state.references = [];
  }
}

// ---------------------------------------------------------------- history

/** Show the history page starting at `offset` (newest first); a page emptied by deletions steps back. */
async function refreshHistory(offset = state.historyOffset) {
  let page;
  try {
    page = await api.listAnalyses(HISTORY_PAGE, offset);
    if (!(page.items || []).length && offset > 0 && page.total > 0) {
      offset = Math.max(0, Math.floor((page.total - 1) / HISTORY_PAGE) * HISTORY_PAGE);
      page = await api.listAnalyses(HISTORY_PAGE, offset);
    }
  } catch (err) {
    $("history-list").replaceChildren(el("li", { class: "error" }, err.message));
    return;
  }
  state.history = page.items || [];
  state.historyOffset = offset;
  state.historyTotal = page.total || 0;
  const first = offset + 1;
  const last = offset + state.history.length;
  $("history-total").textContent = state.historyTotal > state.history.length ? `${first}–${last} of ${state.historyTotal}` : `${state.historyTotal}`;
  $("history-empty").hidden = state.historyTotal > 0;
  $("history-list").replaceChildren(...state.history.map(historyItem));
  $("history-pager").hidden = state.historyTotal <= HISTORY_PAGE;
  $("history-newer").disabled = offset === 0;
  $("history-older").disabled = last >= state.historyTotal;
  markCurrent();
}

/**
 * Reload the compare pickers' list of analyses: the newest PICKER_STEP (or as many as were listed before),
 * PICKER_STEP more with `more`. Independent of the history page shown, so older analyses can be picked.
 */
async function refreshPickers({ more = false } = {}) {
  if (!state.compareAvailable) return;
  const want = more ? state.pickerItems.length + PICKER_STEP : Math.max(PICKER_STEP, state.pickerItems.length);
  try {
    const items = [];
    let total = 0;
    while (items.length < want) {
      const page = await api.listAnalyses(Math.min(PICKER_PAGE, want - items.length), items.length);
      items.push(...(page.items || []));
      total = page.total || 0;
      if (!(page.items || []).length || items.length >= total) break;
    }
    state.pickerItems = items;
    state.pickerTotal = total;
  } catch {
    // keep the list we have; the history shows the error
  }
  fillPickersNow();
}

function fillPickersNow() {
  const items = [...state.pickerItems];
  if (state.current && !items.some((it) => it.id === state.current.id)) items.push(state.current);
  fillPickers(items, state.references, state.currentId, {
    listed: state.pickerItems.length,
    total: state.pickerTotal,
    loadOlder: () => refreshPickers({ more: true }),
  });
}

function historyItem(it) {
  const tp = it.true_peak_dbtp;
  return el(
    "li",
    { class: "history-item", dataset: { id: it.id } },
    el(
      "button",
      { type: "button", class: "history-open", title: `Open ${it.filename}`, onclick: () => openAnalysis(it.id) },
      el("span", { class: "history-name" }, it.filename),
      el("span", { class: "history-meta muted" }, `${fmtDate(it.created_at)}${it.genre ? ` · ${it.genre}` : ""}`),
      el(
        "span",
        { class: "history-figures" },
        el("span", { class: "num", dataset: { metric: "integrated_lufs" } }, `${fmt(it.integrated_lufs)} LUFS`),
        el("span", { class: `num text-${statusTruePeak(tp)}`, dataset: { metric: "true_peak_dbtp" } }, `${fmt(tp)} dBTP`),
      ),
    ),
    el("button", {
      type: "button",
      class: "history-delete",
      "aria-label": `Delete the analysis of ${it.filename}`,
      title: "Delete",
      onclick: () => removeAnalysis(it),
    }, "×"),
  );
}

function markCurrent() {
  for (const li of $("history-list").children) li.classList.toggle("current", li.dataset.id === state.currentId);
}

async function removeAnalysis(it) {
  if (!window.confirm(`Delete the analysis of “${it.filename}” (${fmtDate(it.created_at)})? This cannot be undone.`)) return;
  try {
    await api.deleteAnalysis(it.id);
  } catch (err) {
    if (err.status !== 404) {
      window.alert(`Could not delete: ${err.message}`);
      return;
    }
  }
  if (state.currentId === it.id) closeResult();
  state.pickerItems = state.pickerItems.filter((p) => p.id !== it.id);
  await Promise.all([refreshHistory(), refreshPickers()]);
}

// ---------------------------------------------------------------- one analysis

function closeResult() {
  state.currentId = null;
  state.current = null;
  $("result").hidden = true;
  $("result").removeAttribute("data-analysis-id");
  $("welcome").hidden = false;
  state.shown = null;
  if (location.hash) history.replaceState(null, "", location.pathname);
}

function genreOf(analysis) {
  return findGenre(state.genres, analysis.genre);
}

/** Render an analysis JSON, then fetch and draw its series and similar references. */
async function showAnalysis(analysis) {
  const token = ++state.openToken;
  const genre = genreOf(analysis);
  state.currentId = analysis.id;
  state.current = {
    id: analysis.id,
    filename: analysis.filename,
    created_at: analysis.created_at,
    integrated_lufs: (analysis.overall_metrics || {}).integrated_lufs,
  };
  if (location.hash !== `#${analysis.id}`) history.replaceState(null, "", `#${analysis.id}`);
  $("welcome").hidden = true;
  const result = $("result");
  result.hidden = false;
  result.dataset.analysisId = analysis.id;
  result.dataset.state = "loading";
  renderHeader(analysis, genre);
  renderCards(analysis, genre);
  renderBands(analysis, genre);
  renderRecommendations(analysis, genre);
  renderDestinations(analysis);
  const sections = renderSections(analysis);
  player.showFor(analysis.id);
  state.shown = { analysis, series: null };
  $("plr-block").hidden = true;
  $("spectrum-diff-block").hidden = true;
  $("loudness-note").hidden = true;
  markCurrent();
  if (state.compareAvailable) fillPickersNow();

  const [series, sim] = await Promise.allSettled([api.getSeries(analysis.id), api.similar(analysis.id, 5)]);
  if (token !== state.openToken) return;
  if (series.status === "fulfilled" && series.value) {
    state.shown.series = series.value;
    drawSeries(series.value, genre, sections, analysis);
    drawPlr();
  }
  else showChartMessage(series.reason ? series.reason.message : "No time series stored for this analysis.");
  if (sim.status === "fulfilled") {
    renderSimilar(sim.value);
    const best = (sim.value.results || [])[0];
    if (best && best.reference && state.compareAvailable) suggestB(best.reference.id);
  } else {
    renderSimilar(null, sim.reason.message);
  }
  result.dataset.state = "ready";
}

function showChartMessage(text) {
  for (const id of ["loudness-chart", "spectrum-chart"]) $(id).replaceChildren(el("p", { class: "muted chart-empty" }, text));
}

function drawSeries(series, genre, sections, analysis) {
  const master = analysis.stage !== "mix";
  if ((series.short_term_lufs || []).length || (series.momentary_lufs || []).length) {
    const playable = player.sourceId() === analysis.id;
    loudnessChart($("loudness-chart"), series, {
      targetLufs: genre && master ? genre.integrated_lufs : null,
      sections,
      onSelect: playable ? (t0, t1) => player.setLoopRegion(t0, t1) : null,
      region: playable ? player.loopRegion : null,
      playhead: playable ? player.position : null,
    });
    const clips = (series.clip_times_s || []).length;
    $("loudness-note").hidden = !clips && !playable;
    $("loudness-note").textContent = [
      clips ? `Red ticks along the top: the ${clips} clip event${clips === 1 ? "" : "s"} (runs of samples at full scale).` : "",
      playable ? "Drag across the plot to choose a section for the player to loop." : "",
    ].filter(Boolean).join(" ");
  } else {
    $("loudness-chart").replaceChildren(el("p", { class: "muted chart-empty" }, "Too short for a loudness curve."));
  }
  const freqs = series.spectrum_freqs_hz || [];
  const spec = series.spectrum_db || [];
  if (!freqs.length || !spec.length) {
    $("spectrum-chart").replaceChildren(el("p", { class: "muted chart-empty" }, "No spectrum stored for this analysis."));
    return;
  }
  const topHz = spectrumTopHz((analysis.audio || {}).sample_rate);
  const curves = [{ label: "this file (dB)", values: spec, colour: COLOURS.shortTerm }];
  const target = genre ? spectrumTarget(analysis, genre, freqs, spec, topHz) : null;
  let note = "Long-term spectrum of this file, 1/6 octave; dashed lines mark the five bands.";
  if (genre && target && target.kind === "curve") {
    curves.push({ label: `${genre.name} target (dB)`, values: target.values, tolerance: target.tolerance, colour: COLOURS.target,
      dash: [6, 4], width: 1.5, shade: COLOURS.targetShade });
    note = `Dashed orange: the mean spectrum of the real masters ${genre.name}'s target is measured on, moved to this ` +
      "file's mean level (tonal balance, not loudness). Shaded: each band's tolerance, ± the genre's real spread (at least " +
      "4 dB), as in the band table.";
  } else if (genre && target) {
    curves.push(
      { label: `${genre.name} target, per band (dB)`, bands: target.target, colour: COLOURS.target, dash: [6, 4], width: 1.5,
        shade: COLOURS.targetShade },
      { label: "this file, band average (dB)", bands: target.file, colour: COLOURS.bandAverage, dash: [2, 3], width: 1.5 },
    );
    const why = "has no reference spectrum";
    note = `${genre.name} ${why}, so its target comes from its band energy shares: one level per ` +
      "band (the band's share of this file's total power, spread evenly over the band's 1/6-octave bins). Shaded: ± the " +
      "genre's real spread (at least 4 dB). Dotted: this file's own band averages on the same scale; the gap between the two " +
      "steps is the band table's Deviation.";
  }
  drawDifference(genre, target, freqs, spec, topHz);
  $("spectrum-note").textContent = genre ? `long-term spectrum, 1/6 octave, against ${genre.name}` : "long-term spectrum, 1/6 octave, dB";
  $("spectrum-legend").textContent = note;
  spectrumChart($("spectrum-chart"), freqs, curves, { topHz });
}


/**
 * The genre's target on the spectrum plot.
 * With a reference spectrum: {kind: "curve", values, tolerance} per bin, aligned to the file's mean level.
 * Otherwise (documented constants): {kind: "steps", target, file}: per band {lo, hi, level, tolerance}, where
 * level = 10·log10(share · P / n), P the file's total power over the bins in view and n the band's bins, for the
 * genre's share (target) and the file's own share (file).
 */
function spectrumTarget(analysis, genre, freqs, spec, topHz) {
  const bands = (analysis.band_metrics || []).filter((b) => isNumber(b.freq_low_hz) && isNumber(b.freq_high_hz));
  const targets = genre.bands || {};
  const bandOf = (f) => bands.find((b) => f >= b.freq_low_hz && f < b.freq_high_hz);
  if (Array.isArray(genre.spectrum_db) && genre.spectrum_db.length === spec.length) {
    const values = alignByMean(spec, genre.spectrum_db);
    if (!values) return null;
    const tolerance = freqs.map((f) => {
      const b = bandOf(f);
      return b && targets[b.band] ? bandTolerance(targets[b.band].spread_db) : null;
    });
    return { kind: "curve", values, tolerance };
  }
  let power = 0;
  const bins = {};
  freqs.forEach((f, i) => {
    if (!(f >= 20 && f <= topHz)) return;
    if (isNumber(spec[i])) power += 10 ** (spec[i] / 10);
    const b = bandOf(f);
    if (b) bins[b.band] = (bins[b.band] || 0) + 1;
  });
  if (!(power > 0)) return null;
  const level = (share, n) => (isNumber(share) && share > 0 && n > 0 ? 10 * Math.log10((share * power) / n) : null);
  const steps = (shareOf) =>
    bands
      .filter((b) => bins[b.band] && b.freq_low_hz < topHz)
      .map((b) => ({
        lo: b.freq_low_hz,
        hi: Math.min(b.freq_high_hz, topHz),
        level: level(shareOf(b), bins[b.band]),
        tolerance: bandTolerance(targets[b.band].spread_db),
      }));
  const target = steps((b) => (targets[b.band] || {}).energy_ratio);
  if (!target.some((b) => isNumber(b.level))) return null;
  return { kind: "steps", target, file: steps((b) => b.energy_ratio).map((b) => ({ ...b, tolerance: null })) };
}

/** The spectrum's difference from the genre's target as its own curve, the tolerance shaded around zero. */
function drawDifference(genre, target, freqs, spec, topHz) {
  const block = $("spectrum-diff-block");
  block.hidden = !(genre && target);
  if (block.hidden) return;
  differenceChart($("spectrum-diff-chart"), freqs, differenceCurves(spec, target, genre.name), topHz);
  $("spectrum-diff-note").textContent = target.kind === "curve"
    ? "This file's spectrum minus the target curve above (both at the same mean level): above zero is more than " +
      "the genre's masters, below is less. Shaded: each band's tolerance."
    : "Per band: this file's level minus the target's, on the scale above. Shaded: each band's tolerance.";
}

/** PLR over time for the analysis on screen, once its file is decoded in this page and its series are in. */
function drawPlr() {
  const shown = state.shown;
  const buffer = shown && state.decoded.get(shown.analysis.id);
  const st = shown && shown.series && shown.series.short_term_lufs;
  $("plr-block").hidden = !(buffer && st && st.length);
  if ($("plr-block").hidden) return;
  const hop = shown.series.loudness_hop_s || 0.1;
  const overall = (shown.analysis.overall_metrics || {}).plr_db;
  plrChart($("plr-chart"), plrOverTime(buffer, st, hop), hop, overall);
  $("plr-note").textContent = "Solid: each 3 s window's sample peak (of your file as this page decoded it) minus its " +
    "short-term loudness — low where the master is squashed. Dashed: the whole file's PLR (true peak − integrated " +
    "loudness), as on its card.";
}

function redrawPlayhead() {
  const plot = $("loudness-chart").uplot;
  if (plot && player.sourceId() === state.currentId) plot.redraw(false, false);
}

async function openAnalysis(id) {
  try {
    await showAnalysis(await api.getAnalysis(id));
  } catch (err) {
    if (err.status === 404 || err.status === 422) {
      closeResult();
      await Promise.all([refreshHistory(), refreshPickers()]);
    }
    showUploadError(`Could not open the analysis: ${err.message}`);
  }
}

// ---------------------------------------------------------------- upload

function showUploadError(text) {
  const p = $("upload-error");
  p.textContent = text;
  p.hidden = !text;
}

function setBusy(busy, text = "", fraction = null) {
  $("analyse-button").disabled = busy;
  $("upload-form").setAttribute("aria-busy", busy ? "true" : "false");
  $("upload-status").hidden = !busy;
  $("upload-status-text").textContent = text;
  const bar = $("upload-progress");
  if (fraction === null) bar.removeAttribute("value");
  else bar.value = Math.round(fraction * 100);
}

async function onSubmit(event) {
  event.preventDefault();
  showUploadError("");
  const file = $("file-input").files[0];
  if (!file) {
    showUploadError("Choose an audio file first.");
    return;
  }
  const form = new FormData();
  form.append("file", file, file.name);
  form.append("genre", $("genre-select").value); // "" is "no genre", as chosen
  form.append("recommendation_level", $("level-select").value);
  form.append("stage", $("stage-select").value);
  form.append("codec_preview", $("codec-preview").checked ? "true" : "false");

  const mb = (file.size / 1e6).toFixed(1);
  setBusy(true, `Uploading ${file.name} (${mb} MB)… 0 %`, 0);
  try {
    const analysis = await api.uploadAnalysis(form, {
      onProgress: (f) => {
        if (f === null) setBusy(true, `Uploading ${file.name} (${mb} MB)…`, null);
        else setBusy(true, `Uploading ${file.name} (${mb} MB)… ${Math.round(f * 100)} %`, f);
      },
      onSent: () => setBusy(true, `Analysing ${file.name}…`, null),
    });
    setBusy(false);
    player.setSource(file, analysis);
    await Promise.all([refreshHistory(0), refreshPickers()]);
    await showAnalysis(analysis);
  } catch (err) {
    setBusy(false);
    showUploadError(err.message);
  }
}

// ---------------------------------------------------------------- start

async function start() {
  watchResize();
  $("upload-form").addEventListener("submit", onSubmit);
  // album.js analyses several files itself and announces new analyses with this event
  document.addEventListener("amt:analyses-added", () => Promise.all([refreshHistory(0), refreshPickers()]));
  $("history-newer").addEventListener("click", () => refreshHistory(Math.max(0, state.historyOffset - HISTORY_PAGE)));
  $("history-older").addEventListener("click", () => refreshHistory(state.historyOffset + HISTORY_PAGE));
  const paths = api.serverPaths();
  await loadGenres();
  await Promise.all([loadSettings(), loadReferences()]);
  restoreGenre();
  $("genre-select").addEventListener("change", rememberGenre);
  player.initPlayer({
    level: () => $("level-select").value,
    stage: () => $("stage-select").value,
    onDecoded: (id, buffer) => {
      state.decoded.clear(); // one file kept: the one the player holds
      state.decoded.set(id, buffer);
      if (state.currentId === id) drawPlr();
    },
    onAnalysed: () => Promise.all([refreshHistory(0), refreshPickers()]),
    onTick: redrawPlayhead,
  });
  state.compareAvailable = (await paths).has("/api/compare");
  $("compare-panel").hidden = !state.compareAvailable;
  initCompare({
    unavailable: () => {
      state.compareAvailable = false;
      $("compare-panel").hidden = true;
    },
  });
  await Promise.all([refreshHistory(), refreshPickers()]);
  const fromHash = location.hash.slice(1);
  if (fromHash) await openAnalysis(fromHash);
  document.body.dataset.ready = "true";
}

window.addEventListener("hashchange", () => {
  const id = location.hash.slice(1);
  if (id && id !== state.currentId) openAnalysis(id);
});

start();
