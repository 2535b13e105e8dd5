// "Hear it" (SPEC §8): a level-matched A/B player. A is the user's own file, kept in the browser (never
// downloaded again); B is its plan applied by the server (POST /api/master) or a second file the user picks.
// Both play at once through Web Audio, each through a GainNode that sets it to the quieter side's measured
// integrated loudness; switching A/B only swaps which one is heard, so the playback position is kept.

import * as api from "./api.js";
import { el, fmt, fmtSigned, fmtTime, isNumber } from "./format.js";

const $ = (id) => document.getElementById(id);

export const STEP_KINDS = ["eq", "stereo", "dynamics", "limiter"];
const SWITCH_S = 0.008; // time constant of the A/B cross-fade, seconds: short enough to feel instant, no click
const TICK_MS = 100;
export const PLAYER_MAX_S = 20 * 60; // longest file the player decodes: both sides sit in memory as float32

/**
 * Gains (dB) that bring A and B to the same integrated loudness by turning the louder one down, so neither
 * is pushed towards clipping: {a, b}, one of them 0. Null when either loudness is undefined.
 */
export function levelMatch(lufsA, lufsB) {
  if (!isNumber(lufsA) || !isNumber(lufsB)) return null;
  const d = lufsA - lufsB;
  return d >= 0 ? { a: -d, b: 0 } : { a: 0, b: d };
}

const dbToGain = (db) => 10 ** (db / 20);

const P = {
  file: null, // the File uploaded in this session
  analysis: null, // its analysis JSON
  decodedA: null, // Promise<AudioBuffer>
  a: null, // {label, lufs, buffer}
  b: null, // {label, lufs, truePeak, buffer, kind: "plan"|"file", only}
  side: "a",
  ctx: null,
  playing: false,
  startedAt: 0, // ctx time at which playback (re)started
  startPos: 0, // position (s) at that moment
  pausedAt: 0,
  sources: [],
  level: null, // {a: GainNode, b: GainNode}: the level-matching gains
  mute: null, // {a: GainNode, b: GainNode}: which side is heard
  loop: { on: false, start: null, end: null },
  token: 0, // bumped by each new A: work for an older A is dropped
  bToken: 0, // bumped by each B request: only the latest one lands
  timer: null,
  hooks: { onAnalysed: () => {}, onDecoded: () => {}, onTick: () => {}, stage: () => "master", level: () => "suggestive" },
};

function panel() {
  return $("ab-player");
}

function setError(text) {
  const p = $("player-error");
  p.textContent = text || "";
  p.hidden = !text;
}

function setStatus(text) {
  $("player-status").textContent = text || "";
}

/** Decode audio bytes at their own sample rate (an offline context needs no user gesture). */
async function decode(bytes, sampleRate) {
  const rate = isNumber(sampleRate) && sampleRate >= 3000 && sampleRate <= 768000 ? sampleRate : 48000;
  const ctx = new OfflineAudioContext(1, 1, rate);
  try {
    return await ctx.decodeAudioData(bytes);
  } catch {
    throw new Error("This browser cannot decode the file, so it cannot play it (the analysis is not affected).");
  }
}

// ---------------------------------------------------------------- the page's hooks

/** Wire the controls and keys once; `hooks` give the form's genre/stage/level and what to do after an analysis. */
export function initPlayer(hooks = {}) {
  Object.assign(P.hooks, hooks);
  $("player-play").addEventListener("click", togglePlay);
  $("player-a").addEventListener("click", () => choose("a"));
  $("player-b").addEventListener("click", () => choose("b"));
  $("player-loop").addEventListener("click", toggleLoop);
  $("player-plan").addEventListener("click", loadPlan);
  $("player-file").addEventListener("change", loadSecondFile);
  for (const box of document.querySelectorAll("#player-steps input")) box.addEventListener("change", stepsChanged);
  document.addEventListener("keydown", onKey);
}

/** The file just uploaded and its analysis: A. Starts decoding it; the page learns of the buffer by onDecoded. */
export function setSource(file, analysis) {
  stop();
  P.token++;
  P.bToken++;
  P.file = file;
  P.analysis = analysis;
  P.a = null;
  P.b = null;
  P.loop = { on: false, start: null, end: null };
  P.pausedAt = 0;
  P.side = "a";
  $("player-file").value = "";
  const token = P.token;
  const seconds = (analysis.audio || {}).duration_s;
  if (isNumber(seconds) && seconds > PLAYER_MAX_S) {
    P.file = null; // nothing to play: B cannot be made either
    P.decodedA = null;
    setError(`The player takes files up to ${PLAYER_MAX_S / 60} minutes (both sides are decoded into memory); ` +
      `this one is ${fmtTime(seconds)}.`);
    render();
    return;
  }
  setError("");
  P.decodedA = file.arrayBuffer().then((bytes) => decode(bytes, (analysis.audio || {}).sample_rate));
  P.decodedA
    .then((buffer) => {
      if (token !== P.token) return;
      P.a = { label: file.name, lufs: (analysis.overall_metrics || {}).integrated_lufs, buffer };
      P.hooks.onDecoded(analysis.id, buffer);
      render();
    })
    .catch((err) => {
      if (token === P.token) setError(err.message);
    });
  render();
}

/** Show the player for the analysis on screen: usable only for the file uploaded in this session. */
export function showFor(analysisId) {
  const mine = P.analysis && P.analysis.id === analysisId;
  panel().hidden = false;
  $("player-body").hidden = !mine;
  $("player-unavailable").hidden = mine;
  if (!mine) stop();
}

/** The analysis the player holds the file of (its id), or null. */
export function sourceId() {
  return P.analysis ? P.analysis.id : null;
}

/** A loop region from the loudness plot, seconds; the loop turns on. Null clears it. */
export function setLoopRegion(start, end) {
  if (isNumber(start) && isNumber(end) && end - start >= 0.1) P.loop = { on: true, start: Math.max(0, start), end };
  else P.loop = { on: false, start: null, end: null };
  restartIfPlaying();
  render();
}

/** The chosen loop region [start_s, end_s], or null. */
export function loopRegion() {
  return isNumber(P.loop.start) ? [P.loop.start, P.loop.end] : null;
}

/** Where playback is (s), for the page's playhead. */
export function position() {
  if (!P.playing || !P.ctx) return P.pausedAt;
  let pos = P.startPos + (P.ctx.currentTime - P.startedAt);
  const { on, start, end } = P.loop;
  if (on && P.startPos < end && pos >= end) pos = start + ((pos - start) % (end - start));
  return pos;
}

// ---------------------------------------------------------------- B

function onlySteps() {
  const chosen = [...document.querySelectorAll("#player-steps input:checked")].map((b) => b.value);
  return chosen.length === STEP_KINDS.length ? null : chosen;
}

function stepsChanged() {
  const none = onlySteps() !== null && onlySteps().length === 0;
  $("player-plan").disabled = none || !P.file;
  $("player-steps-note").textContent = none ? "Choose at least one step." : "";
}

/** B = the plan applied: POST the same file, genre and stage to /api/master; its loudness comes in a header. */
async function loadPlan() {
  if (!P.file) return;
  const token = ++P.bToken;
  const only = onlySteps();
  const form = new FormData();
  form.append("file", P.file, P.file.name);
  form.append("genre", P.analysis.genre || "");
  form.append("stage", P.analysis.stage || P.hooks.stage());
  if (only) form.append("only", only.join(","));
  setError("");
  setBusy(`Applying the plan${only ? ` (${only.join(", ")})` : ""} to ${P.file.name}…`);
  try {
    const res = await api.master(form);
    const buffer = await decode(res.bytes, (P.analysis.audio || {}).sample_rate);
    await P.decodedA;
    if (token !== P.bToken) return;
    P.b = {
      kind: "plan",
      only,
      label: only ? `the plan applied (${only.join(", ")})` : "the plan applied",
      lufs: res.integratedLufs,
      truePeak: res.truePeakDbtp,
      buffer,
    };
    afterNewB();
  } catch (err) {
    if (token === P.bToken) setError(`Could not apply the plan: ${err.message}`);
  } finally {
    if (token === P.bToken) setBusy("");
  }
}

/** B = another file: analysed by the server (so its loudness is measured, and it joins the history), decoded here. */
async function loadSecondFile(event) {
  const file = event.target.files[0];
  if (!file || !P.file) return;
  const token = ++P.bToken;
  const form = new FormData();
  form.append("file", file, file.name);
  form.append("genre", P.analysis.genre || "");
  form.append("recommendation_level", P.hooks.level());
  form.append("stage", P.analysis.stage || P.hooks.stage());
  setError("");
  setBusy(`Analysing ${file.name} for its loudness…`);
  try {
    const analysis = await api.uploadAnalysis(form);
    const buffer = await decode(await file.arrayBuffer(), (analysis.audio || {}).sample_rate);
    await P.decodedA;
    if (token !== P.bToken) return;
    P.b = {
      kind: "file",
      label: file.name,
      lufs: (analysis.overall_metrics || {}).integrated_lufs,
      truePeak: (analysis.overall_metrics || {}).true_peak_dbtp,
      buffer,
    };
    afterNewB();
    P.hooks.onAnalysed(analysis);
  } catch (err) {
    if (token === P.bToken) setError(`Could not use ${file.name} as B: ${err.message}`);
  } finally {
    if (token === P.bToken) setBusy("");
  }
}

function afterNewB() {
  panel().dataset.bReady = "true";
  restartIfPlaying();
  render();
}

function setBusy(text) {
  panel().setAttribute("aria-busy", text ? "true" : "false");
  setStatus(text);
}

// ---------------------------------------------------------------- playback

function gains() {
  const match = P.a && P.b ? levelMatch(P.a.lufs, P.b.lufs) : null;
  return match || { a: 0, b: 0 };
}

function ensureContext() {
  if (P.ctx) return P.ctx;
  P.ctx = new AudioContext();
  P.level = { a: P.ctx.createGain(), b: P.ctx.createGain() };
  P.mute = { a: P.ctx.createGain(), b: P.ctx.createGain() };
  for (const s of ["a", "b"]) P.level[s].connect(P.mute[s]).connect(P.ctx.destination);
  return P.ctx;
}

function duration() {
  return Math.max(P.a ? P.a.buffer.duration : 0, P.b ? P.b.buffer.duration : 0);
}

function start(at) {
  const ctx = ensureContext();
  const g = gains();
  for (const s of ["a", "b"]) {
    P.level[s].gain.value = dbToGain(g[s]);
    P.mute[s].gain.value = s === P.side ? 1 : 0;
  }
  const { on, start: loopStart, end: loopEnd } = P.loop;
  const looping = on && at < loopEnd;
  const when = ctx.currentTime + 0.02;
  P.sources = [];
  for (const s of ["a", "b"]) {
    const side = P[s];
    if (!side) continue;
    const src = ctx.createBufferSource();
    src.buffer = side.buffer;
    if (looping) {
      src.loop = true;
      src.loopStart = loopStart;
      src.loopEnd = Math.min(loopEnd, side.buffer.duration);
    }
    src.connect(P.level[s]);
    if (at < side.buffer.duration) src.start(when, at);
    P.sources.push(src);
  }
  P.startedAt = when;
  P.startPos = at;
  P.playing = true;
  clearInterval(P.timer);
  P.timer = setInterval(tick, TICK_MS);
}

function stopSources() {
  for (const src of P.sources) {
    try {
      src.stop();
    } catch {
      // never started (past its end)
    }
    src.disconnect();
  }
  P.sources = [];
}

function stop() {
  if (P.playing) P.pausedAt = position();
  stopSources();
  P.playing = false;
  clearInterval(P.timer);
}

function restartIfPlaying() {
  if (!P.playing) return;
  const at = position();
  stopSources();
  start(at);
}

function tick() {
  if (P.playing && !P.loop.on && position() >= duration()) {
    stop();
    P.pausedAt = 0;
    render();
    return;
  }
  renderTime();
}

async function togglePlay() {
  if (!P.a) return;
  if (P.playing) {
    stop();
  } else {
    await ensureContext().resume();
    let at = P.pausedAt;
    if (at >= duration()) at = 0;
    if (P.loop.on && (at < P.loop.start || at >= P.loop.end)) at = P.loop.start;
    start(at);
  }
  render();
}

function choose(side) {
  if (side === "b" && !P.b) return;
  P.side = side;
  if (P.ctx && P.mute) {
    const now = P.ctx.currentTime;
    for (const s of ["a", "b"]) P.mute[s].gain.setTargetAtTime(s === side ? 1 : 0, now, SWITCH_S);
  }
  render();
}

function toggleLoop() {
  if (!isNumber(P.loop.start)) {
    setStatus("Drag across the loudness plot to choose the section to loop.");
    return;
  }
  P.loop.on = !P.loop.on;
  restartIfPlaying();
  render();
}

function onKey(event) {
  if (panel().hidden || $("player-body").hidden || !P.a) return;
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  const t = event.target;
  if (t && (t.isContentEditable || ["INPUT", "SELECT", "TEXTAREA"].includes(t.tagName))) return;
  const key = event.key.toLowerCase();
  if (key === " " || key === "spacebar") {
    if (t && t.tagName === "BUTTON") return; // the button's own click does it
    event.preventDefault();
    togglePlay();
  } else if (key === "a" || key === "b") {
    choose(key);
  } else if (key === "l") {
    toggleLoop();
  }
}

// ---------------------------------------------------------------- what is shown

function gainText(g) {
  return `A ${fmtSigned(g.a)} dB · B ${fmtSigned(g.b)} dB, level-matched`;
}

function renderTime() {
  const pos = position();
  $("player-time").textContent = `${fmtTime(pos)} / ${fmtTime(duration())}`;
  panel().dataset.positionS = pos.toFixed(3);
  P.hooks.onTick(P.playing ? pos : null);
}

function render() {
  const p = panel();
  p.dataset.side = P.side;
  p.dataset.playing = P.playing ? "true" : "false";
  p.dataset.bReady = P.b ? "true" : "false";
  p.dataset.loop = P.loop.on ? "on" : "off";
  $("player-play").disabled = !P.a;
  $("player-play").textContent = P.playing ? "Pause" : "Play";
  $("player-plan").disabled = !P.file || (onlySteps() !== null && onlySteps().length === 0);
  $("player-b").disabled = !P.b;
  $("player-a").setAttribute("aria-pressed", P.side === "a" ? "true" : "false");
  $("player-b").setAttribute("aria-pressed", P.side === "b" ? "true" : "false");
  $("player-loop").setAttribute("aria-pressed", P.loop.on ? "true" : "false");
  $("player-loop").disabled = !isNumber(P.loop.start);
  $("player-loop-note").textContent = isNumber(P.loop.start)
    ? `Loop ${fmtTime(P.loop.start)}–${fmtTime(P.loop.end)} (${P.loop.on ? "on" : "off"}); drag again on the loudness plot to move it.`
    : "Drag across the loudness plot to choose a section to loop.";

  const gain = $("player-gain");
  const names = $("player-names");
  if (!P.a) {
    gain.textContent = P.file ? "Decoding your file…" : "";
    names.replaceChildren();
  } else if (!P.b) {
    gain.textContent = "Choose B: the plan applied, or another file.";
    delete gain.dataset.gainADb;
    delete gain.dataset.gainBDb;
    names.replaceChildren(el("span", {}, `A: ${P.a.label}, ${fmt(P.a.lufs)} LUFS`));
  } else {
    const match = levelMatch(P.a.lufs, P.b.lufs);
    if (match) {
      gain.textContent = gainText(match);
      gain.dataset.gainADb = String(match.a);
      gain.dataset.gainBDb = String(match.b);
    } else {
      gain.textContent = "Not level-matched: one side's loudness is undefined (silence), so both play as they are.";
      delete gain.dataset.gainADb;
      delete gain.dataset.gainBDb;
    }
    const tp = isNumber(P.b.truePeak) ? `, true peak ${fmt(P.b.truePeak)} dBTP` : "";
    names.replaceChildren(
      el("span", {}, `A: ${P.a.label}, ${fmt(P.a.lufs)} LUFS (measured)`),
      el("span", {}, ` · B: ${P.b.label}, ${fmt(P.b.lufs)} LUFS${tp} (measured)`),
    );
  }
  renderTime();
}
