// Rendering of one analysis: summary cards, band table, recommendations, destinations, sections, references.

import {
  BAND_LABELS,
  bandShapeDeviations,
  bandTolerance,
  el,
  fillTable,
  fmt,
  fmtDate,
  fmtHz,
  fmtPct,
  fmtSigned,
  fmtTime,
  fmtDeviation,
  fmtMetric,
  isNumber,
  metricName,
  plrTarget,
  shown,
  statusAround,
  statusDeviation,
  statusInRange,
  statusTruePeak,
} from "./format.js";

const $ = (id) => document.getElementById(id);

const STATUS_WORD = { ok: "on target", warn: "near target", bad: "off target", neutral: "" };

function card({ id, metric, label, value, digits = 1, unit, status = "neutral", sub = "", signed = false, title = null }) {
  const text = signed ? fmtSigned(value, digits) : fmt(value, digits);
  return el(
    "div",
    { class: `card status-${status}`, dataset: { metric, status }, title },
    el("div", { class: "card-label" }, label),
    el(
      "div",
      { class: "card-value" },
      el("span", { id, class: "value", dataset: { metric, value: isNumber(value) ? String(value) : "" } }, text),
      unit ? el("span", { class: "unit" }, unit) : null,
    ),
    el("div", { class: "card-sub" }, sub, status !== "neutral" ? el("span", { class: "sr-only" }, ` (${STATUS_WORD[status]})`) : null),
  );
}

function rangeText(range, unit) {
  return Array.isArray(range) && range.length === 2 ? `${fmt(range[0])}–${fmt(range[1])} ${unit}` : "";
}

/** The summary cards of the overall metrics, coloured against the genre target when there is one.
 * The genre's PLR range comes with its target (GET /api/genres). */
export function renderCards(analysis, genre) {
  const m = analysis.overall_metrics || {};
  const master = analysis.stage !== "mix";
  const ceiling = genre && isNumber(genre.true_peak_ceiling_dbtp) ? genre.true_peak_ceiling_dbtp : -1.0;
  const targetI = genre ? genre.integrated_lufs : null;

  let integratedSub = `short-term max ${fmt(m.short_term_max_lufs)} LUFS`;
  if (genre) integratedSub = `target ${rangeText(genre.loudness_lufs, "LUFS")} · ${fmtSigned(isNumber(m.integrated_lufs) ? m.integrated_lufs - targetI : null)} LU from ${fmt(targetI)}`;
  if (genre && !master) integratedSub = `mix: informational (target ${fmt(targetI)} LUFS)`;

  const corr = shown(m.phase_correlation, 2);
  const plr = plrTarget(genre);
  let plrStatus = "neutral";
  let plrSub = "PLR: true peak − integrated";
  let plrTitle = "Peak-to-loudness ratio: true peak (dBTP) − integrated loudness (LUFS). No genre chosen, so not judged.";
  if (plr && master) {
    plrStatus = statusInRange(m.plr_db, plr.range, 2);
    plrSub = `target ${rangeText(plr.range, "dB")} · true peak − integrated`;
    plrTitle = `Peak-to-loudness ratio, compared with ${plr.basis}. Green inside, amber within 2 dB of it.`;
  } else if (plr) {
    plrSub = `mix: informational (target ${rangeText(plr.range, "dB")})`;
    plrTitle = `Peak-to-loudness ratio. A mix is not judged on it; masters are compared with ${plr.basis}.`;
  }
  const cards = [
    card({
      id: "integrated-lufs", metric: "integrated_lufs", label: "Integrated loudness", value: m.integrated_lufs, unit: "LUFS",
      status: genre && master ? statusInRange(m.integrated_lufs, genre.loudness_lufs, 3) : "neutral", sub: integratedSub,
    }),
    card({
      id: "loudness-range-lu", metric: "loudness_range_lu", label: "Loudness range", value: m.loudness_range_lu, unit: "LU",
      status: genre ? statusInRange(m.loudness_range_lu, genre.lra_lu, 2) : "neutral",
      sub: genre ? `target ${rangeText(genre.lra_lu, "LU")}` : "EBU Tech 3342",
    }),
    card({
      id: "true-peak-dbtp", metric: "true_peak_dbtp", label: "True peak", value: m.true_peak_dbtp, unit: "dBTP",
      status: statusTruePeak(m.true_peak_dbtp, ceiling), sub: `ceiling ${fmt(ceiling)} dBTP · sample ${fmt(m.sample_peak_dbfs)} dBFS`,
    }),
    card({
      id: "dynamic-range-db", metric: "dynamic_range_db", label: "Dynamic range", value: m.dynamic_range_db, unit: "dB",
      status: genre ? statusInRange(m.dynamic_range_db, genre.dr_db, 2) : "neutral",
      sub: `${isNumber(m.dr_value) ? `DR${m.dr_value}` : "DR —"}${genre ? ` · target ${rangeText(genre.dr_db, "dB")}` : ""}`,
    }),
    card({
      id: "plr-db", metric: "plr_db", label: "Peak to loudness", value: m.plr_db, unit: "dB", status: plrStatus, sub: plrSub,
      title: plrTitle,
    }),
    card({
      id: "crest-factor-db", metric: "crest_factor_db", label: "Crest factor", value: m.crest_factor_db, unit: "dB",
      sub: `sample peak − RMS (${fmt(m.rms_dbfs)} dBFS)`,
    }),
    card({
      id: "stereo-width", metric: "stereo_width", label: "Stereo width", value: m.stereo_width, digits: 2, unit: "S/(M+S)",
      sub: "0 mono · 0.5 uncorrelated · 1 side",
    }),
    card({
      id: "phase-correlation", metric: "phase_correlation", label: "Correlation", value: m.phase_correlation, digits: 2, signed: true, unit: "",
      status: !isNumber(corr) ? "neutral" : corr < 0 ? "bad" : corr < 0.2 ? "warn" : "ok",
      sub: `min ${fmtSigned(m.phase_correlation_min, 2)} · below 0 for ${fmt(m.negative_correlation_pct)} % of the time`,
    }),
  ];
  $("summary-cards").replaceChildren(...cards);
}

/** The per-band table: level, energy share against the target share, deviation in dB, stereo image. */
export function renderBands(analysis, genre) {
  const bands = analysis.band_metrics || [];
  const targets = (genre && genre.bands) || {};
  const shape = bandShapeDeviations(bands, targets);
  const rows = bands.map((b) => {
    const t = targets[b.band];
    const dev = t ? shape[b.band] : null;
    const devStatus = t ? statusDeviation(dev, t.spread_db) : "neutral";
    const widthStatus = t ? statusAround(b.stereo_width, t.stereo_width, t.width_tolerance, Infinity) : "neutral";
    // coloured by the value as shown: −0.0004 reads "0.00" and is not out of phase
    const corr = shown(b.phase_correlation, 2);
    const corrStatus = !isNumber(corr)
      ? "neutral"
      : corr < 0
        ? "bad"
        : t
          ? statusAround(corr, t.phase_correlation, t.correlation_tolerance, Infinity)
          : "neutral";
    return el(
      "tr",
      { dataset: { band: b.band } },
      el("th", { scope: "row" }, BAND_LABELS[b.band] || b.band,
        el("span", { class: "band-range muted", dataset: { metric: "range_hz" } }, `${fmtHz(b.freq_low_hz)}–${fmtHz(b.freq_high_hz)} Hz`)),
      el("td", { class: "num", dataset: { metric: "rms_db" } }, fmt(b.rms_db)),
      el("td", { class: "num", dataset: { metric: "energy_ratio" } }, fmtPct(b.energy_ratio)),
      el("td", { class: "num muted" }, t ? fmtPct(t.energy_ratio) : "—"),
      el(
        "td",
        { class: "num" },
        el("span", {
          class: `pill status-${devStatus}`,
          dataset: { metric: "deviation_db", status: devStatus },
          title: t ? `tolerance ±${fmt(bandTolerance(t.spread_db))} dB` : null,
        }, fmtSigned(dev)),
      ),
      el("td", { class: `num text-${widthStatus}` }, fmt(b.stereo_width, 2), t ? el("span", { class: "muted small" }, ` / ${fmt(t.stereo_width, 2)}`) : null),
      el("td", { class: `num text-${corrStatus}` }, fmtSigned(b.phase_correlation, 2), t ? el("span", { class: "muted small" }, ` / ${fmtSigned(t.phase_correlation, 2)}`) : null),
    );
  });
  const th = (text, title) => el("th", { scope: "col", title }, text);
  fillTable($("bands-table"), [
    th("Band (range, Hz)"), th("RMS (dBFS)"), th("Energy (%)"), th("Target (%)"),
    th("Deviation (dB)", "the spectrum's shape: 10·log10(energy / target) minus the median over the audible bands; green within the genre's real spread, amber within twice it"),
    th("Width / target", "side / (mid + side)"), th("Correlation / target", "L/R phase correlation"),
  ], rows);
}

const ACTION_UNITS = [
  [/_dbtp$/, "dBTP"], [/_lufs$/, "LUFS"], [/_lu$/, "LU"], [/_db$/, "dB"], [/_hz$/, "Hz"], [/_ms$/, "ms"], [/_s$/, "s"],
  [/_pct$/, "%"],
];

/** A step's or action's settings in words: "low shelf · frequency 100 Hz · gain +3.1 dB · Q 0.7". */
function actionText(action) {
  return Object.entries(action)
    .filter(([k, v]) => !["kind", "order", "because"].includes(k) && v !== null && !(Array.isArray(v) && !v.length)
      && !(k === "left_for_mix_db" && !v))
    .map(([k, v]) => {
      if (k === "note" || k === "filter" || k === "method") return String(v);
      if (k === "band") return `${BAND_LABELS[v] || v} band`;
      if (k === "sections") return `sections ${v.map((x) => `${x.kind} ${fmt(x.start_s, 0)}–${fmt(x.end_s, 0)} s`).join(", ")}`;
      if (typeof v === "boolean") return v ? k.replace(/_/g, "-") : `no ${k.replace(/_/g, "-")}`;
      if (k === "q") return `Q ${fmt(v, 2)}`;
      if (typeof v !== "number") return `${k.replace(/_/g, " ")} ${v}`;
      const unit = (ACTION_UNITS.find(([re]) => re.test(k)) || [null, ""])[1];
      const name = k.replace(/_(dbtp|lufs|lu|db|hz|ms|s|pct)$/, "").replace(/_/g, " ");
      // a signed move (gain, change), but an amount of reduction is a size: "gain reduction 4.0 dB"
      const signed = /gain|change|move/.test(k) && !/reduction/.test(k);
      const value = signed ? fmtSigned(v, unit ? 1 : 2) : fmt(v, unit === "Hz" ? 0 : unit ? 1 : 2);
      return `${name} ${value}${unit ? ` ${unit}` : ""}`;
    })
    .join(" · ");
}

const STEP_NAMES = { gain: "Fader", eq: "EQ", stereo: "Mid/side", dynamics: "Dynamics", limiter: "Limiter" };

/** The plan as the chain it is: numbered steps in signal order, each naming the findings (#) behind it. */
function planBlock(plan) {
  const steps = (plan && plan.steps) || [];
  if (!steps.length) return el("p", { class: "muted", id: "plan-empty" }, "Plan: no step — nothing beyond its tolerance needs a move.");
  const e = plan.expected || {};
  return el("div", { class: "plan-block" },
    el("h4", {}, "Plan — signal chain, first to last"),
    el("ol", { class: "plan", id: "plan" },
      steps.map((s) => el("li", { class: "step", dataset: { kind: s.kind, order: s.order } },
        el("strong", {}, `${STEP_NAMES[s.kind] || s.kind}: `), actionText(s),
        el("span", { class: "because muted" }, ` — because of ${s.because.map((i) => `#${i + 1}`).join(", ")}`)))),
    el("p", { class: "expected num", id: "plan-expected" },
      `Expected after the plan: ${fmtMetric("integrated_lufs", e.integrated_lufs)}, true peak `
      + `${fmtMetric("true_peak_dbtp", e.true_peak_dbtp)}, DR ${fmtMetric("dynamic_range_db", e.dynamic_range_db)}, `
      + `PLR ${fmt(e.plr_db)} dB`));
}

/** The target of a recommendation as text: the genre's range for LRA and DR (the row holds its middle). */
function recTarget(r, genre) {
  const range = genre && { loudness_range_lu: genre.lra_lu, dynamic_range_db: genre.dr_db }[r.metric];
  if (Array.isArray(range) && range.length === 2) {
    const unit = r.metric === "loudness_range_lu" ? "LU" : "dB";
    return `${fmt(range[0])}–${fmt(range[1])} ${unit}`;
  }
  return fmtMetric(r.metric, r.target);
}

/**
 * The plan (numbered steps), then the findings behind it, numbered as the steps refer to them, most severe first:
 * where, what, now / target / deviation with units, the advice, and the step it belongs to.
 */
export function renderRecommendations(analysis, genre = null) {
  const recs = analysis.recommendations || [];
  const box = $("recommendations");
  if (!recs.length) {
    box.replaceChildren(el("p", { class: "muted" }, "Nothing to flag: every checked figure is within its tolerance."));
    return;
  }
  box.replaceChildren(
    planBlock(analysis.plan),
    el("h4", {}, "Findings"),
    el(
      "ol",
      { class: "recs" },
      recs.map((r, i) =>
        el(
          "li",
          { class: `rec sev-${r.severity}`, id: `finding-${i + 1}`,
            dataset: { band: r.band, metric: r.metric, severity: r.severity, step: r.step ?? "" } },
          el("div", { class: "rec-tags" },
            el("span", { class: "tag" }, `#${i + 1}`),
            el("span", { class: `badge sev-${r.severity}` }, r.severity),
            el("span", { class: "tag" }, r.band === "overall" ? "Overall" : `${BAND_LABELS[r.band] || r.band} band`),
            el("span", { class: "tag", title: r.metric }, metricName(r.metric)),
            r.step ? el("span", { class: "tag rec-step" }, `step ${r.step}`) : null),
          el("p", { class: "rec-figures num", dataset: { metric: r.metric } },
            el("span", {}, "now ", el("strong", { class: "rec-current" }, fmtMetric(r.metric, r.current))),
            el("span", {}, "target ", el("strong", { class: "rec-target" }, recTarget(r, genre))),
            el("span", {}, "deviation ", el("strong", { class: "rec-deviation" }, fmtDeviation(r.metric, r.deviation)))),
          el("p", { class: "rec-message" }, r.message),
        ),
      ),
    ),
  );
}

/** `destinations` (SPEC §8), when the analysis has them. */
export function renderDestinations(analysis) {
  const block = $("destinations-block");
  const rows = Array.isArray(analysis.destinations) ? analysis.destinations : [];
  block.hidden = rows.length === 0;
  if (!rows.length) return;
  fillTable($("destinations-table"), ["Destination", "Normalises to (LUFS)", "Gain (dB)", "Plays at (LUFS)", "True peak after (dBTP)",
    el("th", { scope: "col", class: "verdict" }, "Verdict")],
    rows.map((d) =>
      el(
        "tr",
        { dataset: { destination: d.name } },
        el("th", { scope: "row", title: d.published || "" }, d.name),
        el("td", { class: "num" }, isNumber(d.reference_lufs) ? fmt(d.reference_lufs) : "none"),
        el("td", { class: "num" }, fmtSigned(d.gain_db)),
        el("td", { class: "num" }, fmt(d.resulting_lufs)),
        el("td", { class: `num text-${statusTruePeak(d.resulting_true_peak_dbtp)}` }, fmt(d.resulting_true_peak_dbtp)),
        el("td", { class: "verdict" }, d.verdict || ""),
      ),
    ));
}

/** `sections` and `section_contrast_lu` (SPEC §8), when present. Returns the sections for the loudness plot. */
export function renderSections(analysis) {
  const sections = Array.isArray(analysis.sections) ? analysis.sections : [];
  const block = $("sections-block");
  block.hidden = sections.length === 0;
  $("section-contrast").textContent = isNumber(analysis.section_contrast_lu)
    ? `· contrast ${fmt(analysis.section_contrast_lu)} LU between the loud and the quiet sections`
    : "";
  if (!sections.length) return [];
  const bandNames = Object.keys(BAND_LABELS);
  fillTable($("sections-table"),
    ["Section", "Start", "End", "Length (s)", "Loudness (LUFS)", ...bandNames.map((b) => `${BAND_LABELS[b]} (%)`)],
    sections.map((s) =>
      el(
        "tr",
        { dataset: { kind: s.kind } },
        el("th", { scope: "row" }, el("span", { class: `swatch kind-${s.kind}` }), s.kind),
        el("td", { class: "num" }, fmtTime(s.start_s)),
        el("td", { class: "num" }, fmtTime(s.end_s)),
        el("td", { class: "num" }, fmt(s.end_s - s.start_s)),
        el("td", { class: "num" }, fmt(s.integrated_lufs)),
        ...bandNames.map((b) => el("td", { class: "num" }, fmtPct((s.energy_ratios || {})[b], 0))),
      ),
    ));
  return sections;
}

/** The heading of a result: file name, audio facts and the target used. */
export function renderHeader(analysis, genre) {
  const a = analysis.audio || {};
  $("result-filename").textContent = analysis.filename;
  const facts = [
    isNumber(a.sample_rate) ? `${(a.sample_rate / 1000).toFixed(1)} kHz` : null,
    isNumber(a.bit_depth) ? `${a.bit_depth}-bit` : null,
    isNumber(a.channels) ? (a.channels === 1 ? "mono" : a.channels === 2 ? "stereo" : `${a.channels} channels`) : null,
    isNumber(a.duration_s) ? `${fmtTime(a.duration_s)} (${fmt(a.duration_s)} s)` : null,
    analysis.stage,
    `${analysis.recommendation_level} recommendations`,
    fmtDate(analysis.created_at),
  ].filter(Boolean);
  $("result-meta").textContent = facts.join(" · ");
  $("result-target").textContent = genre
    ? `Target: ${genre.name} (${genre.source === "constants" ? "documented targets" : genre.source})`
    : analysis.genre
      ? `Genre: ${analysis.genre}`
      : "No genre chosen: only the always-flagged checks apply.";
}

/** The similarity ranking (POST /api/similarity). */
export function renderSimilar(result, errorText = "") {
  const list = $("similar-list");
  const empty = $("similar-empty");
  const items = (result && result.results) || [];
  list.replaceChildren(
    ...items.map((r) => {
      const ref = r.reference || {};
      const pct = Math.max(0, Math.min(1, r.similarity || 0)) * 100;
      return el(
        "li",
        { dataset: { referenceId: ref.id || "" } },
        el("div", { class: "similar-row" },
          el("span", { class: "similar-name" }, ref.name || "—"),
          el("span", { class: "num similar-score", title: "cosine similarity of the 128-dim feature vectors" }, fmt(r.similarity, 2))),
        // a built-in's name already says it is an archetype; its artist and year would only repeat that
        el("div", { class: "similar-meta muted" }, [
          ref.genre,
          ...(ref.is_builtin ? [] : [ref.artist, ref.year]),
          isNumber((ref.overall_metrics || {}).integrated_lufs) ? `${fmt(ref.overall_metrics.integrated_lufs)} LUFS` : null,
        ].filter(Boolean).join(" · ")),
        el("div", { class: "bar" }, el("span", { style: `width:${pct.toFixed(1)}%` })),
      );
    }),
  );
  empty.hidden = items.length > 0;
  empty.textContent = errorText || "No references to compare with yet (load them with populate_references).";
}
