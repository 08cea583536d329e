// Talking to the JSON API with the session cookie, and pieces of UI that several pages share.

export const API = {
  photos: "/api/photos/",
  photo: (id) => `/api/photos/${id}/`,
  similar: "/api/search/similar/",
  byClass: "/api/search/class/",
  text: "/api/search/text/",
  classes: "/api/classes/",
  words: "/api/words/similar/",
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
    const messages = Object.entries(data).flatMap(([field, value]) =>
      (Array.isArray(value) ? value : [value]).map((text) => (field === "non_field_errors" ? text : `${text}`)),
    );
    if (messages.length) return messages.join(" ");
  }
  if (status === 404) return "Not found: it may have been deleted, or it is not yours.";
  if (status === 403) return "Your session has expired; please log in again.";
  if (status === 0) return "Could not reach the server. Check your connection and try again.";
  return `Something went wrong (HTTP ${status}).`;
}

/** fetch() with the CSRF header; resolves to {ok, status, data} and never throws. */
export async function request(url, { method = "GET", body } = {}) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") headers["X-CSRFToken"] = csrfToken();
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

/** A result card: thumbnail, name, score and "More like this" (the server-rendered cards look the same). */
export function resultCard({ photo, score }, rank) {
  const thumb = photo.thumbnail_url
    ? el("img", { src: photo.thumbnail_url, alt: photo.original_name, loading: "lazy", decoding: "async" })
    : el("span", { class: "thumb-placeholder", role: "img", "aria-label": `${photo.original_name} (no preview yet)` });
  const scoreNode = typeof score === "number"
    ? el("span", { class: "score", title: "Similarity score", "data-role": "score" },
        el("span", { class: "score-bar", "aria-hidden": "true" },
          el("span", { style: `width: ${Math.max(0, Math.min(1, score)) * 100}%` })),
        el("span", { text: score.toFixed(3) }))
    : null;
  return el("li", { class: "card result", "data-photo-id": photo.id, "data-status": photo.status },
    el("a", { class: "card-link", href: `/photos/${photo.id}/`, "aria-label": `${photo.original_name}${scoreNode ? `, score ${score.toFixed(3)}` : ""}` },
      el("div", { class: "thumb" }, thumb, rank ? el("span", { class: "rank", "aria-hidden": "true", text: `#${rank}` }) : null)),
    el("div", { class: "card-body" },
      el("span", { class: "card-name", title: photo.original_name, text: photo.original_name }),
      scoreNode),
    el("div", { class: "card-actions" },
      el("a", { class: "card-action more-like", href: `/search/?photo=${photo.id}`, text: "More like this" })));
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
