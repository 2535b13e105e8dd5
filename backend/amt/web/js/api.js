// The HTTP API of SPEC §7/§8, as small promise-returning functions.
// Every failure is an ApiError whose message is the server's {"detail": …} in words.

export class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

/** The server's "detail" as a sentence (a string, or FastAPI's list of field errors). */
export function detailText(body, status) {
  const detail = body && body.detail;
  if (typeof detail === "string" && detail) return detail;
  if (Array.isArray(detail)) {
    return detail.map((d) => (d && d.msg ? `${(d.loc || []).slice(1).join(".")}: ${d.msg}` : String(d))).join("; ");
  }
  if (status === 413) return "The file is larger than the server accepts.";
  if (status >= 500) return `The server failed (HTTP ${status}); the details are in its log.`;
  return `The request failed (HTTP ${status}).`;
}

async function request(method, path, { okStatuses = [200] } = {}) {
  let response;
  try {
    response = await fetch(path, { method, headers: { Accept: "application/json" } });
  } catch {
    throw new ApiError("Could not reach the server. Is it running?", 0);
  }
  if (response.status === 204) return null;
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (!okStatuses.includes(response.status)) throw new ApiError(detailText(body, response.status), response.status);
  return body;
}

export const getGenres = () => request("GET", "/api/genres");
export const getSettings = () => request("GET", "/api/settings");
// Summaries (id, name, genre …) for the A/B picker: the first 1000 by genre and name.
export const getReferences = () => request("GET", "/api/references?limit=1000");
export const listAnalyses = (limit = 20, offset = 0) => request("GET", `/api/analyses?limit=${limit}&offset=${offset}`);
export const getAnalysis = (id) => request("GET", `/api/analysis/${encodeURIComponent(id)}`);
export const getSeries = (id) => request("GET", `/api/analysis/${encodeURIComponent(id)}/series`);
export const getReferenceSeries = (id) => request("GET", `/api/references/${encodeURIComponent(id)}/series`);
export const deleteAnalysis = (id) => request("DELETE", `/api/analysis/${encodeURIComponent(id)}`, { okStatuses: [204] });
export const similar = (id, topK = 5) =>
  request("POST", `/api/similarity/${encodeURIComponent(id)}?top_k=${topK}`);
export const compare = (a, b) =>
  request("GET", `/api/compare?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}`);

/** Which optional endpoints this server has, from its OpenAPI description. */
export async function serverPaths() {
  try {
    const spec = await request("GET", "/openapi.json");
    return new Set(Object.keys((spec && spec.paths) || {}));
  } catch {
    return new Set();
  }
}

/**
 * Upload a WAV with XMLHttpRequest so the upload progress can be shown.
 * onProgress(fraction or null) while sending; onSent() once the body is sent (the server now analyses).
 * Resolves with the analysis JSON (201), rejects with an ApiError.
 */
export function uploadAnalysis(formData, { onProgress, onSent } = {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/analyze");
    xhr.responseType = "text";
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.onprogress = (e) => onProgress && onProgress(e.lengthComputable ? e.loaded / e.total : null);
    xhr.upload.onload = () => onSent && onSent();
    xhr.onload = () => {
      let body = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = null;
      }
      if (xhr.status === 201 || xhr.status === 200) resolve(body);
      else reject(new ApiError(detailText(body, xhr.status), xhr.status));
    };
    xhr.onerror = () => reject(new ApiError("The upload failed: the server could not be reached or closed the connection.", 0));
    xhr.ontimeout = () => reject(new ApiError("The server took too long to answer.", 0));
    xhr.send(formData);
  });
}

/** A measured figure from a response header (a number), or null when the header is absent. */
function headerNumber(response, name) {
  const text = response.headers.get(name);
  const value = text === null ? NaN : Number(text);
  return Number.isFinite(value) ? value : null;
}

/**
 * POST /api/master: the upload with its plan applied, nothing stored.
 * Resolves with {bytes (ArrayBuffer of the WAV), integratedLufs, truePeakDbtp} — the output's figures as the
 * engine measured them (X-Integrated-LUFS, X-True-Peak-dBTP; null when undefined); rejects with an ApiError.
 */
export async function master(formData) {
  let response;
  try {
    response = await fetch("/api/master", { method: "POST", body: formData });
  } catch {
    throw new ApiError("Could not reach the server. Is it running?", 0);
  }
  if (response.status !== 200) {
    let body = null;
    try {
      body = await response.json();
    } catch {
      body = null;
    }
    throw new ApiError(detailText(body, response.status), response.status);
  }
  return {
    bytes: await response.arrayBuffer(),
    integratedLufs: headerNumber(response, "X-Integrated-LUFS"),
    truePeakDbtp: headerNumber(response, "X-True-Peak-dBTP"),
  };
}
