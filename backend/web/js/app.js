// Entry point: the upload form, the history, and opening one analysis with its plots.

import * as api from "./api.js";
import { COLOURS, alignByMean, loudnessChart, spectrumChart, watchResize } from "./charts.js";
import { fillPickers, initCompare, suggestB } from "./compare.js";
import { el, findGenre, fmt, fmtDate, statusTruePeak } from "./format.js";
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

const state = {
  genres: [],
  references: [],
  history: [],
  currentId: null,
  compareAvailable: false,
  openToken: 0,
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

async function loadReferences() {
  try {
    state.references = (await api.getReferences()) || [];
  } catch {
    state.references = [];
  }
}

// ---------------------------------------------------------------- history

async function refreshHistory() {
  let page;
  try {
    page = await api.listAnalyses(20);
  } catch (err) {
    $("history-list").replaceChildren(el("li", { class: "error" }, err.message));
    return;
  }
  state.history = page.items || [];
  $("history-total").textContent = page.total > state.history.length ? `${state.history.length} of ${page.total}` : `${page.total || 0}`;
  $("history-empty").hidden = state.history.length > 0;
  $("history-list").replaceChildren(...state.history.map(historyItem));
  markCurrent();
  if (state.compareAvailable) fillPickers(state.history, state.references, state.currentId);
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
  await refreshHistory();
}

// ---------------------------------------------------------------- one analysis

function closeResult() {
  state.currentId = null;
  $("result").hidden = true;
  $("result").removeAttribute("data-analysis-id");
  $("welcome").hidden = false;
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
  if (location.hash !== `#${analysis.id}`) history.replaceState(null, "", `#${analysis.id}`);
  $("welcome").hidden = true;
  const result = $("result");
  result.hidden = false;
  result.dataset.analysisId = analysis.id;
  result.dataset.state = "loading";
  renderHeader(analysis, genre);
  renderCards(analysis, genre);
  renderBands(analysis, genre);
  renderRecommendations(analysis);
  renderDestinations(analysis);
  const sections = renderSections(analysis);
  markCurrent();
  if (state.compareAvailable) {
    fillPickers(state.history, state.references, analysis.id);
  }

  const [series, sim] = await Promise.allSettled([api.getSeries(analysis.id), api.similar(analysis.id, 5)]);
  if (token !== state.openToken) return;
  if (series.status === "fulfilled" && series.value) drawSeries(series.value, genre, sections, analysis);
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
    loudnessChart($("loudness-chart"), series, { targetLufs: genre && master ? genre.integrated_lufs : null, sections });
  } else {
    $("loudness-chart").replaceChildren(el("p", { class: "muted chart-empty" }, "Too short for a loudness curve."));
  }
  const freqs = series.spectrum_freqs_hz || [];
  const spec = series.spectrum_db || [];
  if (!freqs.length || !spec.length) {
    $("spectrum-chart").replaceChildren(el("p", { class: "muted chart-empty" }, "No spectrum stored for this analysis."));
    return;
  }
  const curves = [{ label: "this file (dB)", values: spec, colour: COLOURS.shortTerm }];
  let note = "long-term spectrum, 1/6 octave, dB";
  const target = genre && Array.isArray(genre.spectrum_db) && genre.spectrum_db.length === spec.length ? alignByMean(spec, genre.spectrum_db) : null;
  if (target) {
    curves.push({ label: `${genre.name} target (dB)`, values: target, colour: COLOURS.target, dash: [6, 4], width: 1.5 });
    note += `; the ${genre.name} curve is aligned to the same mean level (tonal balance, not loudness)`;
  }
  $("spectrum-note").textContent = note;
  spectrumChart($("spectrum-chart"), freqs, curves);
}

async function openAnalysis(id) {
  try {
    await showAnalysis(await api.getAnalysis(id));
  } catch (err) {
    if (err.status === 404 || err.status === 422) {
      closeResult();
      await refreshHistory();
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
    showUploadError("Choose a WAV file first.");
    return;
  }
  const form = new FormData();
  form.append("file", file, file.name);
  form.append("genre", $("genre-select").value); // "" is "no genre", as chosen
  form.append("recommendation_level", $("level-select").value);
  form.append("stage", $("stage-select").value);

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
    await refreshHistory();
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
  const paths = api.serverPaths();
  await loadGenres();
  await Promise.all([loadSettings(), loadReferences()]);
  state.compareAvailable = (await paths).has("/api/compare");
  $("compare-panel").hidden = !state.compareAvailable;
  initCompare({
    unavailable: () => {
      state.compareAvailable = false;
      $("compare-panel").hidden = true;
    },
  });
  await refreshHistory();
  const fromHash = location.hash.slice(1);
  if (fromHash) await openAnalysis(fromHash);
  document.body.dataset.ready = "true";
}

window.addEventListener("hashchange", () => {
  const id = location.hash.slice(1);
  if (id && id !== state.currentId) openAnalysis(id);
});

start();
