// Talking to the JSON API with the session cookie, and pieces of UI that several pages share.

// Every URL comes from the server's named routes (searchsite/context_processors.py), rendered into the page
// as JSON; per-photo routes are rendered for id 0.
const URLS = JSON.parse(document.getElementById("script-urls")?.textContent || "{}");
const forId = (template) => (id) => template.replace("/0/", `/${id}/`);

export const API = {
  ...URLS,
  photo: forId(URLS.photo || ""),
  photoTags: forId(URLS.photoTags || ""),
  album: forId(URLS.album || ""),
  albumPhotos: forId(URLS.albumPhotos || ""),
  albumPhotosRemove: forId(URLS.albumPhotosRemove || ""),
};

export const PAGES = {
  photo: forId(URLS.photoPage || ""),
  original: forId(URLS.original || ""),
  thumbnail: forId(URLS.thumbnail || ""),
  album: forId(URLS.albumPage || ""),
  search: URLS.search,
  home: URLS.home,
};

// An image to search by, handed from the search bar on any page to the results page (this tab only).
export const IMAGE_KEY = "searchsite.queryImage";
export const FINAL_STATUSES = new Set(["ready", "failed"]);
const STATUS_LABELS = { pending: "Pending", processing: "Processing", ready: "Ready", failed: "Failed" };

export function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

/** A readable message from a DRF error body: {"detail": …} or {"field": ["…"]}. */
export function errorMessage(status, data) {
  if (data && typeof data === "object") {
    if (typeof data.detail === "string") return data.detail;
    const messages = Object.values(data).flatMap((value) =>
      (Array.isArray(value) ? value : [value]).map(String),
    );
    if (messages.length) return messages.join(" ");
  }
  if (status === 404) return "Not found: it may have been deleted, or it is not yours.";
  if (status === 403) return "Your session has expired; please log in again.";
  if (status === 0) return "Could not reach the server. Check your connection and try again.";
  return `Something went wrong (HTTP ${status}).`;
}

/** fetch() with the CSRF header; resolves to {ok, status, data} and never throws. `json` is sent as JSON. */
export async function request(url, { method = "GET", body, json } = {}) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") headers["X-CSRFToken"] = csrfToken();
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  }
  let response;
  try {
    response = await fetch(url, { method, body, headers, credentials: "same-origin" });
  } catch {
    return { ok: false, status: 0, data: null };
  }
  let data = null;
  if (response.status !== 204) {
    try {
      data = await response.json();
    } catch {
      data = null;
    }
  }
  return { ok: response.ok, status: response.status, data };
}

export function statusLabel(status) {
  return STATUS_LABELS[status] || status;
}

/** Update a status badge (any element with data-role="status") in place. */
export function setBadge(badge, status) {
  if (!badge) return;
  badge.className = `badge badge-${status}`;
  badge.textContent = statusLabel(status);
}

/**
 * Poll photos until each reaches a final status; onUpdate(photo) runs on every change,
 * onGone(id) when a photo disappears (deleted meanwhile). One request per tick for up to 1000 photos.
 */
export function pollPhotos(ids, { onUpdate, onGone = () => {}, interval = 1200 } = {}) {
  const waiting = new Map(ids.map((id) => [String(id), null]));
  async function tick() {
    const batch = [...waiting.keys()].slice(0, 1000);
    const { ok, data } = await request(`${API.photos}?page_size=1000&ids=${batch.join(",")}`);
    if (ok) {
      const seen = new Set();
      for (const photo of data.results) {
        const id = String(photo.id);
        seen.add(id);
        if (waiting.get(id) !== photo.status) {
          waiting.set(id, photo.status);
          onUpdate(photo);
        }
        if (FINAL_STATUSES.has(photo.status)) waiting.delete(id);
      }
      for (const id of batch) {
        if (!seen.has(id)) {
          waiting.delete(id);
          onGone(id);
        }
      }
    } // else transient: try again next tick
    if (waiting.size) setTimeout(tick, interval);
  }
  if (waiting.size) tick();
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("data-") || key.startsWith("aria-") || ["href", "src", "alt", "role", "title", "loading", "decoding", "type", "hidden", "value"].includes(key)) {
      node.setAttribute(key, value === true ? "" : value);
    } else node[key] = value;
  }
  node.append(...children.filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}

// How close a result is, on the API's one scale for every kind of search, in words: no raw scores in the UI.
export const MATCH_LABELS = { strong: "Strong match", possible: "Possible match", weak: "Weak match" };

/** A photo card as the server renders it (templates/gallery/_photo_card.html), with its match on search results. */
export function resultCard({ photo, match }, rank) {
  const thumb = photo.thumbnail_url
    ? el("img", { src: photo.thumbnail_url, alt: photo.original_name, loading: "lazy", decoding: "async" })
    : el("span", { class: "thumb-placeholder", role: "img", "aria-label": `${photo.original_name} (no preview yet)` });
  const scoreText = MATCH_LABELS[match] || "";
  const scoreNode = scoreText
    ? el("span", { class: `score score-${match}`, "data-role": "score", text: scoreText })
    : null;
  return el("li", { class: "card result", "data-photo-id": photo.id, "data-status": photo.status, "data-match": match || null, "data-place": photo.place || null },
    el("a", { class: "card-link", href: PAGES.photo(photo.id) },
      el("div", { class: "thumb" }, thumb, rank ? el("span", { class: "rank", "aria-hidden": "true", text: `#${rank}` }) : null)),
    el("input", { type: "checkbox", class: "card-select", value: String(photo.id), "aria-label": `Select ${photo.original_name}` }),
    el("div", { class: "card-body" },
      el("span", { class: "card-name", title: photo.original_name, text: photo.original_name }),
      scoreNode),
    el("div", { class: "card-actions" },
      el("a", { class: "card-action more-like", href: `${PAGES.search}?photo=${photo.id}`, text: "More like this" })));
}

export function formatBytes(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function debounce(fn, wait) {
  let timer;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), wait);
  };
}
