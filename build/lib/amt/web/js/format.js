// Number formatting, pass/warn/fail rules and tiny DOM helpers shared by the page's modules.

export const BAND_LABELS = {
  low: "Low",
  low_mid: "Low mid",
  mid: "Mid",
  high_mid: "High mid",
  high: "High",
};

const isNum = (v) => typeof v === "number" && Number.isFinite(v);

/** A number with `digits` decimals (as Number.toFixed, without "-0.0"), or an em dash when missing. */
export function fmt(value, digits = 1) {
  if (!isNum(value)) return "—";
  const s = value.toFixed(digits);
  return Number(s) === 0 ? (0).toFixed(digits) : s;
}

/** A signed number: "+1.2", "-0.4". */
export function fmtSigned(value, digits = 1) {
  if (!isNum(value)) return "—";
  const s = fmt(value, digits);
  return s.startsWith("-") || Number(s) === 0 ? s : `+${s}`;
}

export const fmtPct = (ratio, digits = 1) => (isNum(ratio) ? fmt(ratio * 100, digits) : "—");

/** `value` rounded to `digits` decimals as shown (so colours follow the number the reader sees), or null. */
export function shown(value, digits = 1) {
  return isNum(value) ? Number(fmt(value, digits)) : null;
}

/**
 * SPEC §4/§5 metric names as a person reads them: label, unit of the value, unit of a deviation, decimals.
 * `ratio` values are energy shares (0…1) shown in %.
 */
export const METRICS = {
  integrated_lufs: { label: "Integrated loudness", unit: "LUFS", devUnit: "LU", digits: 1 },
  loudness_range_lu: { label: "Loudness range", unit: "LU", devUnit: "LU", digits: 1 },
  dynamic_range_db: { label: "Dynamic range", unit: "dB", devUnit: "dB", digits: 1 },
  true_peak_dbtp: { label: "True peak", unit: "dBTP", devUnit: "dB", digits: 2 },
  sample_peak_dbfs: { label: "Sample peak", unit: "dBFS", devUnit: "dB", digits: 1 },
  plr_db: { label: "Peak to loudness", unit: "dB", devUnit: "dB", digits: 1 },
  clip_events: { label: "Clipping", unit: "events", devUnit: "events", digits: 0 },
  negative_correlation_pct: { label: "Time out of phase", unit: "%", devUnit: "points", digits: 1 },
  energy_ratio: { label: "Energy share", unit: "%", devUnit: "dB", digits: 1, ratio: true },
  stereo_width: { label: "Stereo width", unit: "", devUnit: "", digits: 2 },
  phase_correlation: { label: "Phase correlation", unit: "", devUnit: "", digits: 2 },
};

/** A metric's human name: "Energy share", "Stereo width". */
export const metricName = (metric) => (METRICS[metric] ? METRICS[metric].label : metric.replace(/_/g, " "));

/** A metric's human name with its unit: "Energy share (%)", "Stereo width". */
export function metricLabel(metric) {
  const m = METRICS[metric];
  if (!m) return metric.replace(/_/g, " ");
  return m.unit ? `${m.label} (${m.unit})` : m.label;
}

/** A metric value with its unit ("16.1 %", "-9.5 LUFS", "0.44"). */
export function fmtMetric(metric, value) {
  const m = METRICS[metric] || { unit: "", digits: 2 };
  const text = m.ratio ? fmtPct(value) : fmt(value, m.digits);
  return text === "—" || !m.unit ? text : `${text} ${m.unit}`;
}

/** A deviation with its unit ("+3.2 dB", "-1.7 LU", "+0.41"). */
export function fmtDeviation(metric, value) {
  const m = METRICS[metric] || { devUnit: "", digits: 2 };
  const text = fmtSigned(value, m.ratio ? 1 : m.digits);
  return text === "—" || !m.devUnit ? text : `${text} ${m.devUnit}`;
}

export function fmtHz(hz) {
  if (!isNum(hz)) return "—";
  return hz >= 1000 ? `${+(hz / 1000).toFixed(hz % 1000 === 0 ? 0 : 1)}k` : `${Math.round(hz)}`;
}

export function fmtTime(seconds) {
  if (!isNum(seconds)) return "—";
  let m = Math.floor(seconds / 60);
  let s = (seconds - m * 60).toFixed(1);
  if (s === "60.0") {
    // 119.97 s rounds up to a whole minute: "2:00.0", not "1:60.0"
    m += 1;
    s = "0.0";
  }
  return `${m}:${s.padStart(4, "0")}`;
}

export function fmtDate(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso || "";
  return d.toLocaleString(undefined, { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
}

/** Status of a value against a centre: within `good` → ok, within `warn` → warn, else bad. */
export function statusAround(value, centre, good, warn) {
  if (!isNum(value) || !isNum(centre)) return "neutral";
  const d = Math.abs(value - centre);
  return d <= good ? "ok" : d <= warn ? "warn" : "bad";
}

/** Status of a value against a [lo, hi] range: inside → ok, within `margin` outside → warn, else bad. */
export function statusInRange(value, range, margin) {
  if (!isNum(value) || !Array.isArray(range) || range.length !== 2) return "neutral";
  const [lo, hi] = range;
  if (value >= lo && value <= hi) return "ok";
  const d = value < lo ? lo - value : value - hi;
  return d <= margin ? "warn" : "bad";
}

/** True peak: ≤ ceiling (−1 dBTP unless the genre says otherwise) ok, ≤ 0 dBTP warn, above bad. */
export function statusTruePeak(value, ceiling = -1.0) {
  if (!isNum(value)) return "neutral";
  return value <= ceiling + 1e-9 ? "ok" : value <= 0 ? "warn" : "bad";
}

/** Band energy deviation in dB against the target share: 10·log10(ratio / target). */
export function bandDeviationDb(ratio, target) {
  return isNum(ratio) && isNum(target) && ratio > 0 && target > 0 ? 10 * Math.log10(ratio / target) : null;
}

/** Inaudible bands (SPEC §4): level missing, under −80 dBFS, or more than 50 dB under the loudest band. */
export function inaudibleBands(bands) {
  const levels = bands.filter((b) => isNum(b.rms_db)).map((b) => b.rms_db);
  const loudest = levels.length ? Math.max(...levels) : null;
  return new Set(bands.filter((b) => !isNum(b.rms_db) || b.rms_db < -80 || b.rms_db < loudest - 50).map((b) => b.band));
}

/**
 * Each band's tonal deviation as SPEC §5 defines it (the server's api/services/deviation.py): the share's dB
 * difference from the target share, minus the median over the audible bands — the spectrum's shape, not its level.
 * Returns {band: dB or null}.
 */
export function bandShapeDeviations(bands, targets) {
  const quiet = inaudibleBands(bands);
  const d = {};
  for (const b of bands) {
    const t = targets[b.band];
    const db = t && !quiet.has(b.band) ? bandDeviationDb(b.energy_ratio, t.energy_ratio) : null;
    if (isNum(db)) d[b.band] = db;
  }
  const values = Object.values(d).sort((x, y) => x - y);
  const n = values.length;
  const median = n ? (n % 2 ? values[(n - 1) / 2] : (values[n / 2 - 1] + values[n / 2]) / 2) : 0;
  return Object.fromEntries(bands.map((b) => [b.band, b.band in d ? d[b.band] - median : null]));
}

/** A band's tolerance, dB: the genre's real spread of the band's shape (the server keeps it at 4 dB or more). */
export function bandTolerance(spreadDb) {
  return spreadDb || 4;
}

/** Deviation colour as SPEC §5 severities: within the tolerance ok, within twice it warn, beyond bad. */
export function statusDeviation(devDb, spreadDb = 4) {
  if (!isNum(devDb)) return "neutral";
  const a = Math.abs(devDb);
  const tol = bandTolerance(spreadDb);
  return a <= tol ? "ok" : a <= 2 * tol ? "warn" : "bad";
}

/**
 * The PLR (true peak − integrated, dB) a genre's masters have, as {range: [lo, hi], basis: words}, from the
 * server's target (GET /api/genres `plr_db`): the references' 10th–90th percentile (at least ±1 dB around their
 * mean), or for a genre with documented constants its true-peak ceiling minus its target loudness, ±1 dB.
 */
export function plrTarget(genre) {
  if (!genre || !Array.isArray(genre.plr_db)) return null;
  const basis = `the PLR of ${genre.name}'s real masters, 10th–90th percentile (${genre.source})`;
  return { range: genre.plr_db, basis };
}

/** The genre object matching a name (case-insensitive, aliases), or null. */
export function findGenre(genres, name) {
  if (!name || !Array.isArray(genres)) return null;
  const key = name.trim().toLowerCase();
  return (
    genres.find((g) => g.name.toLowerCase() === key) ||
    genres.find((g) => (g.aliases || []).some((a) => a.toLowerCase() === key)) ||
    null
  );
}

/** Create an element: el("td", {class: "num", dataset: {metric: "x"}}, "text", child…). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "dataset") Object.assign(node.dataset, v);
    else if (k === "text") node.textContent = v;
    else if (k === "style") node.style.cssText = v; // through the CSSOM: the CSP refuses style attributes
    else if (k.startsWith("on") && typeof v === "function") node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

/** Replace a table's content with a header row and body rows (arrays of cells: strings or <td>s). */
export function fillTable(table, headers, rows) {
  table.replaceChildren(
    el("thead", {}, el("tr", {}, headers.map((h) => (h instanceof Node ? h : el("th", { scope: "col" }, h))))),
    el("tbody", {}, rows.map((r) => (r instanceof Node ? r : el("tr", {}, r.map((c) => (c instanceof Node ? c : el("td", {}, c))))))),
  );
}

export const isNumber = isNum;
