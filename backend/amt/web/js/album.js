// The album view (SPEC §8): when several files are chosen at once, each is analysed in turn through
// the same upload as a single file, then GET /api/album shows how they sit together — the album's
// loudness, true peak and DR, each track's offset and tonal balance, the outliers — and their
// spectra overlaid. One file chosen: this module stands aside and the single-file flow runs as before.

import * as api from "./api.js";
import { spectrumChart, spectrumTopFromData } from "./charts.js";
import { BAND_LABELS, el, fmt, fmtSigned } from "./format.js";

const TRACK_COLOURS = ["#4fc3f7", "#f06292", "#81c784", "#ffb74d", "#ba68c8", "#a1887f", "#e57373", "#4db6ac", "#fff176"];
const BANDS = ["low", "low_mid", "mid", "high_mid", "high"];

const $ = (id) => document.getElementById(id);

/** GET /api/album for `ids` in running order. */
async function getAlbum(ids) {
  const response = await fetch(`/api/album?ids=${ids.map(encodeURIComponent).join(",")}`, {
    headers: { Accept: "application/json" },
  });
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (response.status !== 200) throw new api.ApiError(api.detailText(body, response.status), response.status);
  return body;
}

function panel() {
  let section = $("album-panel");
  if (section) return section;
  section = el(
    "section",
    { id: "album-panel", class: "panel album", "aria-labelledby": "album-title", "data-testid": "album-panel" },
    el("div", { class: "panel-head" },
      el("h3", { id: "album-title", text: "Album" }),
      el("span", { id: "album-links", class: "muted" })),
    el("div", { class: "table-wrap" }, el("table", { id: "album-summary", class: "data" })),
    el("p", { id: "album-outliers", class: "album-outliers", "data-testid": "album-outliers" }),
    el("div", { class: "table-wrap" }, el("table", { id: "album-tracks", class: "data" })),
    el("h4", { text: "Long-term spectra, overlaid" }),
    el("div", { id: "album-spectra", class: "chart" }),
    el("p", { class: "muted small chart-note", text: "Band columns: each track's tonal balance against the album's mean (dB, the median band taken out)." }),
  );
  $("welcome").before(section);
  return section;
}

function summaryRow(label, value, unit, key) {
  return el("tr", {}, el("th", { text: label }), el("td", { class: "num", "data-testid": `album-${key}`, text: value }), el("td", { class: "muted", text: unit }));
}

/** Fill the album panel from the /api/album JSON. */
export function showAlbum(data) {
  const section = panel();
  const a = data.album;
  const ids = data.tracks.map((t) => t.id).filter(Boolean);
  const query = ids.map(encodeURIComponent).join(",");
  $("album-links").replaceChildren(
    el("a", { href: `/api/album/report.html?ids=${query}`, target: "_blank", rel: "noopener", text: "HTML report" }),
    " · ",
    el("a", { href: `/api/album/report.csv?ids=${query}`, text: "CSV" }),
  );
  $("album-summary").replaceChildren(
    summaryRow("Album loudness", fmt(a.integrated_lufs, 1), "LUFS", "integrated_lufs"),
    summaryRow("Album true peak", fmt(a.true_peak_dbtp, 2), "dBTP", "true_peak_dbtp"),
    summaryRow("Album DR", a.dr_value === null ? "—" : `DR${a.dr_value}`, "", "dr_value"),
    summaryRow("Loudness spread", fmt(a.loudness_spread_lu, 1), "LU (loudest − quietest)", "loudness_spread_lu"),
    summaryRow("Loudness range", fmt(a.loudness_range_lu, 1), "LU", "loudness_range_lu"),
  );
  $("album-outliers").textContent = a.outliers.length
    ? `Outliers: ${a.outliers.join(", ")} (beyond ±${a.loudness_tolerance_lu} LU or ±${a.tonal_tolerance_db} dB per band)`
    : "No outliers: every track within ±" + `${a.loudness_tolerance_lu} LU of the album and ±${a.tonal_tolerance_db} dB of its tonal balance.`;
  const head = el("tr", {},
    ["#", "Track", "LUFS", "Offset LU", "True peak dBTP", "DR", ...BANDS.map((b) => `${BAND_LABELS[b]} dB`), "Reasons"].map((h) => el("th", { text: h })));
  const rows = data.tracks.map((t) =>
    el("tr", { class: t.outlier ? "outlier" : null, "data-testid": `album-track-${t.position}` },
      el("td", { text: String(t.position) }),
      el("td", { text: t.name }),
      el("td", { class: "num", "data-testid": `track-${t.position}-integrated_lufs`, text: fmt(t.integrated_lufs, 1) }),
      el("td", { class: "num", "data-testid": `track-${t.position}-loudness_offset_lu`, text: fmtSigned(t.loudness_offset_lu, 1) }),
      el("td", { class: "num", text: fmt(t.true_peak_dbtp, 2) }),
      el("td", { class: "num", text: t.dr_value === null ? "—" : String(t.dr_value) }),
      BANDS.map((b) => el("td", { class: "num", text: fmtSigned(t.tonal_deviation_db[b], 1) })),
      el("td", { text: t.reasons.join("; ") }),
    ));
  $("album-tracks").replaceChildren(head, ...rows);
  const freqs = a.spectrum_freqs_hz;
  const curves = data.tracks.map((t, i) => ({
    label: `${t.position}. ${t.name}`,
    colour: TRACK_COLOURS[i % TRACK_COLOURS.length],
    width: 1.5,
    values: t.spectrum_db,
  }));
  section.hidden = false;
  $("welcome").hidden = true;
  $("result").hidden = true;
  spectrumChart($("album-spectra"), freqs, curves, { topHz: spectrumTopFromData(freqs, ...curves.map((c) => c.values)) });
  $("album-spectra").dataset.curves = String(curves.length);
  section.scrollIntoView({ block: "start" });
}

function status(text, busy) {
  $("analyse-button").disabled = busy;
  $("upload-status").hidden = !busy;
  $("upload-status-text").textContent = text;
  $("upload-progress").removeAttribute("value");
}

function showError(text) {
  const p = $("upload-error");
  p.textContent = text;
  p.hidden = !text;
}

/** Analyse every chosen file in turn, then show the album. */
async function analyseAlbum(files) {
  showError("");
  const ids = [];
  try {
    for (const [i, file] of files.entries()) {
      const form = new FormData();
      form.append("file", file, file.name);
      form.append("genre", $("genre-select").value);
      form.append("recommendation_level", $("level-select").value);
      form.append("stage", $("stage-select").value);
      form.append("codec_preview", $("codec-preview").checked ? "true" : "false");
      status(`Analysing ${i + 1} of ${files.length}: ${file.name}…`, true);
      const analysis = await api.uploadAnalysis(form, {});
      ids.push(analysis.id);
    }
    document.dispatchEvent(new CustomEvent("amt:analyses-added"));
    status(`Putting the album together…`, true);
    showAlbum(await getAlbum(ids));
    status("", false);
  } catch (err) {
    status("", false);
    if (ids.length) document.dispatchEvent(new CustomEvent("amt:analyses-added"));
    const done = ids.length ? ` (${ids.length} of ${files.length} analysed and kept in the history)` : "";
    showError(`${err.message}${done}`);
  }
}

// One analysis shown (uploaded, or opened from the history): the album steps aside.
new MutationObserver(() => {
  const section = $("album-panel");
  if (section && !$("result").hidden) section.hidden = true;
}).observe($("result"), { attributes: true, attributeFilter: ["hidden"] });

// Runs before the page's own submit handler (capture on the document): with several files chosen the
// album flow takes the submit; with one file it does nothing.
document.addEventListener(
  "submit",
  (event) => {
    if (event.target.id !== "upload-form") return;
    const files = [...($("file-input").files || [])];
    if (files.length < 2) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    analyseAlbum(files);
  },
  true,
);
