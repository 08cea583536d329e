// The lightbox viewer over a grid of cards (gallery, search results, album, similar photos). It has its own URL
// (?view=ID on the page's URL) so Back closes it and a reload reopens it; arrow keys and swipe go to the
// previous/next card, Esc closes, wheel / pinch / double-click zoom, drag pans a zoomed photo, F is full screen.
// The next photo is preloaded. A card's link still leads to the photo page for a new tab or without JavaScript.
// On a touch screen a swipe anywhere on the photo moves, and pulling it down closes the viewer. I shows the info
// panel (date, size, place, tags and whatever other apps add); Delete moves the photo to the trash, with Undo.
import { setFavourite } from "./actions.js";
import { API, PAGES, el, errorMessage, request } from "./api.js";

const MAX_SCALE = 6;
const SWIPE_PX = 50;
const PULL_CLOSE_PX = 90;
const SLIDE_MS = 4000;

export class Viewer {
  /** grid: the element holding the cards; cards are read in page order each time, so added pages count. */
  constructor(grid, dialog = document.getElementById("viewer")) {
    this.grid = grid;
    this.dialog = dialog;
    this.image = dialog.querySelector("#viewer-image");
    this.stage = dialog.querySelector("#viewer-stage");
    this.title = dialog.querySelector("#viewer-title");
    this.position = dialog.querySelector("#viewer-position");
    this.details = dialog.querySelector('[data-viewer="details"]');
    this.download = dialog.querySelector('[data-viewer="download"]');
    this.infoButton = dialog.querySelector('[data-viewer="info"]');
    this.info = dialog.querySelector("#viewer-info");
    this.facts = dialog.querySelector("#viewer-facts");
    this.trashButton = dialog.querySelector('[data-viewer="trash"]');
    this.toast = dialog.querySelector("#viewer-toast");
    this.slideButton = dialog.querySelector('[data-viewer="slideshow"]');
    this.slides = null;
    this.zoomButton = dialog.querySelector('[data-viewer="zoom"]');
    this.heart = dialog.querySelector('[data-viewer="favourite"]');
    document.addEventListener("photos:favourite", ({ detail }) => {
      if (detail.ids.includes(this.id)) this.heart.setAttribute("aria-pressed", String(detail.on));
    });
    this.id = null;
    this.view = { scale: 1, x: 0, y: 0 };
    this.pointers = new Map();
    this.preloaded = new Image();

    grid.addEventListener("click", (event) => {
      const link = event.target.closest(".card-link");
      if (!link || event.defaultPrevented || event.ctrlKey || event.metaKey || event.shiftKey || event.button) return;
      event.preventDefault();
      this.open(link.closest("[data-photo-id]").dataset.photoId);
    });
    dialog.addEventListener("click", (event) => {
      const action = event.target.closest("[data-viewer]")?.dataset.viewer;
      if (action === "close") this.close();
      else if (action === "prev") this.step(-1);
      else if (action === "next") this.step(1);
      else if (action === "zoom") this.zoomTo(this.view.scale > 1 ? 1 : 2.5);
      else if (action === "fullscreen") this.fullscreen();
      else if (action === "favourite") setFavourite([Number(this.id)], this.heart.getAttribute("aria-pressed") !== "true");
      else if (action === "info") this.toggleInfo();
      else if (action === "slideshow") this.slideshow(!this.slides);
      else if (action === "trash") this.trash();
    });
    dialog.addEventListener("cancel", (event) => {
      event.preventDefault(); // Esc: close through history, like the close button
      this.close();
    });
    dialog.addEventListener("keydown", (event) => this.onKey(event));
    this.stage.addEventListener("wheel", (event) => this.onWheel(event), { passive: false });
    this.stage.addEventListener("dblclick", (event) => this.zoomTo(this.view.scale > 1 ? 1 : 2.5, event));
    this.stage.addEventListener("pointerdown", (event) => this.onPointerDown(event));
    this.stage.addEventListener("pointermove", (event) => this.onPointerMove(event));
    for (const type of ["pointerup", "pointercancel"]) this.stage.addEventListener(type, (event) => this.onPointerUp(event));
    window.addEventListener("popstate", () => this.fromUrl());
  }

  cards() {
    // Cards folded away (search results below the relevance cutoff) are not stepped through until shown.
    return [...this.grid.querySelectorAll(".card[data-photo-id], .viewer-item[data-photo-id]")].filter((c) => !c.hidden);
  }

  /** Open from the URL (a reload, Back/Forward); results that arrive later call this again. */
  fromUrl() {
    const id = new URLSearchParams(window.location.search).get("view");
    if (!id) return this.hide();
    this.show(id); // also when open: the cards may have changed (results arrived), so refresh the neighbours
  }

  open(id) {
    const url = new URL(window.location.href);
    url.searchParams.set("view", id);
    if (this.dialog.open) history.replaceState(history.state, "", url);
    else history.pushState({ viewer: true }, "", url);
    this.show(id);
  }

  close() {
    if (history.state?.viewer) history.back(); // popstate hides it, and the page's URL is as before
    else {
      const url = new URL(window.location.href);
      url.searchParams.delete("view");
      history.replaceState(null, "", url);
      this.hide();
    }
  }

  hide() {
    this.slideshow(false);
    if (!this.dialog.open) return;
    if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
    this.dialog.close();
    const card = this.cards().find((c) => c.dataset.photoId === this.id);
    card?.querySelector(".card-link")?.focus({ preventScroll: false });
    this.id = null;
    document.dispatchEvent(new CustomEvent("viewer:close"));
  }

  show(id) {
    const cards = this.cards();
    const index = cards.findIndex((card) => card.dataset.photoId === String(id));
    const card = cards[index];
    const name = card?.querySelector(".card-name")?.textContent.trim() || card?.dataset.name || "Photo";
    this.id = String(id);
    this.resetZoom();
    this.image.src = PAGES.original(id);
    this.image.alt = card?.querySelector("img")?.alt || name;
    this.title.textContent = name;
    const position = cards.length > 1 && index >= 0 ? `${index + 1} of ${cards.length}` : "";
    this.position.textContent = [card?.dataset.place, position].filter(Boolean).join(" · "); // "Leuven, Belgium · 3 of 9"
    this.details.href = PAGES.photo(id);
    this.download.href = PAGES.original(id);
    this.download.setAttribute("download", name);
    this.heart.hidden = !card?.dataset.favourite; // cards in the trash have no heart
    this.trashButton.hidden = !card?.dataset.favourite || !this.grid.matches("#photo-grid"); // the gallery and albums
    if (!this.info.hidden) this.loadInfo();
    this.heart.setAttribute("aria-pressed", String(card?.dataset.favourite === "true"));
    this.dialog.querySelector('[data-viewer="prev"]').hidden = index <= 0;
    this.dialog.querySelector('[data-viewer="next"]').hidden = index < 0 || index >= cards.length - 1;
    if (!this.dialog.open) this.dialog.showModal();
    const next = cards[index + 1];
    if (next) this.preloaded.src = PAGES.original(next.dataset.photoId);
    document.dispatchEvent(new CustomEvent("viewer:show", { detail: { id: this.id, card } }));
  }

  step(delta) {
    const cards = this.cards();
    const index = cards.findIndex((card) => card.dataset.photoId === this.id);
    const target = cards[index + delta];
    if (index >= 0 && target) this.open(target.dataset.photoId);
  }

  onKey(event) {
    if (event.target.closest("input, textarea")) return;
    if (event.key === "ArrowRight") this.step(1);
    else if (event.key === "ArrowLeft") this.step(-1);
    else if (event.key === "f" || event.key === "F") this.fullscreen();
    else if (event.key === "+" || event.key === "=") this.zoomTo(this.view.scale * 1.5);
    else if (event.key === "-") this.zoomTo(this.view.scale / 1.5);
    else if (event.key === "0") this.zoomTo(1);
    else if ((event.key === "l" || event.key === "L") && !this.heart.hidden) this.heart.click();
    else if (event.key === "i" || event.key === "I") this.toggleInfo();
    else if (event.key === "s" || event.key === "S") this.slideshow(!this.slides);
    else if (event.key === "Delete" && !this.trashButton.hidden) this.trash();
    else return;
    event.preventDefault();
  }

  /** Slideshow: the next photo every few seconds, full screen; it stops at the last photo, on S or on close. */
  slideshow(on) {
    clearInterval(this.slides);
    this.slides = null;
    this.slideButton.setAttribute("aria-pressed", String(on));
    if (!on) return;
    if (!document.fullscreenElement) this.fullscreen();
    this.slides = setInterval(() => {
      const cards = this.cards();
      const index = cards.findIndex((card) => card.dataset.photoId === this.id);
      if (index < 0 || index >= cards.length - 1) this.slideshow(false);
      else this.step(1);
    }, SLIDE_MS);
  }

  toggleInfo() {
    this.info.hidden = !this.info.hidden;
    this.infoButton.setAttribute("aria-pressed", String(!this.info.hidden));
    if (!this.info.hidden) this.loadInfo();
  }

  async loadInfo() {
    const id = this.id;
    const { ok, data } = await request(API.photo(id));
    if (!ok || id !== this.id) return;
    const when = new Date(data.taken_at || data.uploaded_at);
    const rows = [
      ["Taken", `${when.toLocaleDateString(undefined, { dateStyle: "long" })}${data.taken_at ? "" : " (uploaded)"}`],
      ["Size", `${data.width} × ${data.height} · ${data.format} · ${formatSize(data.size_bytes)}`],
    ];
    const place = data.place?.name || data.place?.shown || (typeof data.place === "string" ? data.place : "");
    if (place) rows.push(["Place", place]);
    else if (data.latitude !== null && data.latitude !== undefined) {
      rows.push(["Place", `${data.latitude.toFixed(3)}, ${data.longitude.toFixed(3)}`]);
    }
    const tags = (data.tags || []).filter((tag) => tag.state !== "rejected" && tag.state !== "suggested").map((tag) => tag.name);
    if (tags.length) rows.push(["Tags", tags.join(", ")]);
    const people = (data.people || data.faces || []).map((p) => p.name || p.person?.name).filter(Boolean);
    if (people.length) rows.push(["People", people.join(", ")]);
    this.facts.replaceChildren(...rows.flatMap(([term, value]) => [el("dt", { text: term }), el("dd", { text: value })]));
  }

  /** Delete: to the trash (restorable), the next photo shows, and Undo puts it back where it was. */
  async trash() {
    const id = this.id;
    const cards = this.cards();
    const index = cards.findIndex((card) => card.dataset.photoId === id);
    const card = cards[index];
    const { ok, status, data } = await request(API.bulkTrash, { method: "POST", json: { ids: [Number(id)] } });
    if (!ok) return this.say(errorMessage(status, data));
    const place = { parent: card.parentElement, next: card.nextElementSibling };
    card.remove();
    document.dispatchEvent(new CustomEvent("photos:trashed", { detail: { ids: [id] } }));
    const neighbour = cards[index + 1] || cards[index - 1];
    if (neighbour) this.open(neighbour.dataset.photoId);
    else this.close();
    const undo = el("button", { type: "button", class: "btn btn-small", text: "Undo" });
    undo.addEventListener("click", async () => {
      const restored = await request(API.trashRestore, { method: "POST", json: { ids: [Number(id)] } });
      if (!restored.ok) return this.say(errorMessage(restored.status, restored.data));
      place.parent.insertBefore(card, place.next?.isConnected ? place.next : null);
      document.dispatchEvent(new CustomEvent("photos:restored", { detail: { ids: [id] } }));
      this.say("Restored.");
      if (this.dialog.open) this.open(id);
    });
    this.say("Moved to the trash. ", undo);
    (this.dialog.open ? undo : null)?.focus();
    if (!this.dialog.open) document.getElementById("selection-status")?.replaceChildren("Moved to the trash. ", undo);
  }

  say(...nodes) {
    this.toast.replaceChildren(...nodes);
    clearTimeout(this.toastTimer);
    this.toastTimer = setTimeout(() => this.toast.replaceChildren(), 8000);
  }

  fullscreen() {
    if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
    // A <dialog> cannot be the fullscreen element itself; the page can, and the modal viewer stays on top of it.
    else document.documentElement.requestFullscreen?.().catch(() => {});
  }

  // Zoom and pan: one transform on the image; (x, y) is the offset of its centre in CSS pixels.
  resetZoom() {
    this.view = { scale: 1, x: 0, y: 0 };
    this.apply();
  }

  zoomTo(scale, around) {
    scale = Math.min(MAX_SCALE, Math.max(1, scale));
    if (scale === 1) return this.resetZoom();
    const rect = this.stage.getBoundingClientRect();
    // Keep the point under the cursor (or the centre) where it is.
    const cx = around ? around.clientX - rect.left - rect.width / 2 : 0;
    const cy = around ? around.clientY - rect.top - rect.height / 2 : 0;
    const ratio = scale / this.view.scale;
    this.view = { scale, x: cx - (cx - this.view.x) * ratio, y: cy - (cy - this.view.y) * ratio };
    this.apply();
  }

  apply() {
    const { scale, x, y } = this.view;
    this.image.style.transform = scale === 1 ? "" : `translate(${x}px, ${y}px) scale(${scale})`;
    this.stage.classList.toggle("zoomed", scale > 1);
    this.zoomButton.setAttribute("aria-pressed", String(scale > 1));
  }

  onWheel(event) {
    event.preventDefault();
    this.zoomTo(this.view.scale * Math.exp(-event.deltaY / 300), event);
  }

  onPointerDown(event) {
    if (event.pointerType === "mouse" && event.button) return;
    this.stage.setPointerCapture?.(event.pointerId);
    this.pointers.set(event.pointerId, { x: event.clientX, y: event.clientY, startX: event.clientX, startY: event.clientY });
    if (this.pointers.size === 2) this.pinch = { distance: this.spread(), scale: this.view.scale };
  }

  onPointerMove(event) {
    const pointer = this.pointers.get(event.pointerId);
    if (!pointer) return;
    const dx = event.clientX - pointer.x;
    const dy = event.clientY - pointer.y;
    pointer.x = event.clientX;
    pointer.y = event.clientY;
    if (this.pointers.size === 2 && this.pinch) {
      const [a, b] = [...this.pointers.values()];
      this.zoomTo(this.pinch.scale * (this.spread() / this.pinch.distance), { clientX: (a.x + b.x) / 2, clientY: (a.y + b.y) / 2 });
    } else if (this.view.scale > 1) {
      this.view.x += dx;
      this.view.y += dy;
      this.apply();
    } else if (this.pointers.size === 1) {
      // Follow the finger: sideways hints at the next photo, downwards at closing.
      const ox = event.clientX - pointer.startX;
      const oy = Math.max(0, event.clientY - pointer.startY);
      const down = oy > Math.abs(ox);
      this.image.style.transition = "none";
      this.image.style.transform = down ? `translateY(${oy}px) scale(${1 - Math.min(oy, 400) / 1600})` : `translateX(${ox}px)`;
      this.dialog.style.setProperty("--pull", String(down ? Math.min(oy / 300, 1) : 0));
    }
  }

  onPointerUp(event) {
    const pointer = this.pointers.get(event.pointerId);
    this.pointers.delete(event.pointerId);
    if (this.pointers.size < 2) this.pinch = null;
    if (!pointer || this.view.scale > 1 || this.pointers.size) return;
    this.image.style.transition = "";
    this.image.style.transform = "";
    this.dialog.style.removeProperty("--pull");
    if (event.type === "pointercancel") return;
    const dx = event.clientX - pointer.startX;
    const dy = event.clientY - pointer.startY;
    if (Math.abs(dx) > SWIPE_PX && Math.abs(dx) > 1.5 * Math.abs(dy)) this.step(dx < 0 ? 1 : -1);
    else if (dy > PULL_CLOSE_PX && dy > 1.5 * Math.abs(dx)) this.close();
  }

  spread() {
    const [a, b] = [...this.pointers.values()];
    return Math.hypot(a.x - b.x, a.y - b.y) || 1;
  }
}

function formatSize(bytes) {
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
