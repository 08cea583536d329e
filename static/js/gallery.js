// Gallery, album and trash: photos still being processed update in place until they are ready or have failed,
// the next page is appended when the reader nears the end (the page links remain for everyone else), the
// grid's zoom (slider, or pinch on a touch screen) sets the row height, and the date scrubber jumps by year.
import { API, FINAL_STATUSES, el, errorMessage, pollPhotos, request, setBadge } from "./api.js";
import { GridKeys } from "./grid_keys.js";
import { Selection } from "./selection.js";
import "./selection_actions.js";
import "./actions.js";
import { Viewer } from "./viewer.js";

for (const select of document.querySelectorAll("select[data-autosubmit]")) {
  select.addEventListener("change", () => select.form.requestSubmit());
}

const grid = document.getElementById("photo-grid");

/** Give cards their aspect ratio (the CSP allows no style attributes in HTML; the CSSOM is fine). */
function shape(cards) {
  for (const card of cards) {
    card.style.setProperty("--w", card.dataset.w || "1");
    card.style.setProperty("--h", card.dataset.h || "1");
  }
}

function follow(cards) {
  if (grid.hasAttribute("data-trash")) return; // photos in the trash are not followed (the API hides them)
  const waiting = new Map(
    cards.filter((card) => !FINAL_STATUSES.has(card.dataset.status)).map((card) => [card.dataset.photoId, card]),
  );
  pollPhotos([...waiting.keys()], {
    interval: 1500,
    onUpdate(photo) {
      const card = waiting.get(String(photo.id));
      card.dataset.status = photo.status;
      const badge = card.querySelector('[data-role="status"]');
      setBadge(badge, photo.status);
      badge.title = photo.error;
      card.querySelector('[data-role="error"]').textContent = photo.error;
      const placeholder = card.querySelector(".thumb-placeholder");
      if (placeholder && photo.thumbnail_url) {
        placeholder.replaceWith(el("img", { src: photo.thumbnail_url, alt: photo.original_name, decoding: "async" }));
      }
    },
    onGone(id) {
      waiting.get(id).remove();
    },
  });
}

async function appendNextPage(observer) {
  const pagination = document.querySelector(".pagination");
  const next = pagination?.querySelector('a[rel="next"]');
  if (!next) return observer.disconnect();
  observer.unobserve(pagination);
  const response = await fetch(next.href, { credentials: "same-origin" }).catch(() => null);
  if (!response?.ok) return; // the link still works by hand
  const doc = new DOMParser().parseFromString(await response.text(), "text/html");
  // The server heads a month only where it starts, also across pages, so the cards simply go on.
  const cards = [...doc.querySelectorAll("#photo-grid > .card")];
  for (const head of doc.querySelectorAll("#photo-grid .month-head[id]")) {
    if (document.getElementById(head.id)) head.removeAttribute("id");
  }
  grid.append(...cards.map((card) => document.adoptNode(card)));
  shape(cards);
  selection.refresh();
  keys.refresh();
  follow(cards);
  const newer = doc.querySelector(".pagination");
  if (newer && newer.querySelector('a[rel="next"]')) {
    newer.querySelector('a[rel="prev"]')?.remove(); // the newer photos are already above
    pagination.replaceWith(document.adoptNode(newer));
    observer.observe(document.querySelector(".pagination"));
  } else {
    pagination.remove();
    observer.disconnect();
  }
}

// Zoom: the row height, remembered on this device; two fingers pinching on the grid change it too.
const ZOOM_KEY = "searchsite.rowHeight";
function setupZoom() {
  const slider = document.getElementById("grid-zoom");
  const apply = (px) => {
    px = Math.round(Math.min(360, Math.max(72, px)));
    grid.style.setProperty("--row-h", `${px}px`);
    if (slider) slider.value = String(px);
    return px;
  };
  const saved = Number(localStorage.getItem(ZOOM_KEY));
  if (saved) apply(saved);
  else if (slider) slider.value = String(parseFloat(getComputedStyle(grid).getPropertyValue("--row-h")) || 200);
  slider?.addEventListener("input", () => localStorage.setItem(ZOOM_KEY, String(apply(Number(slider.value)))));
  const touches = new Map();
  let pinch = null;
  grid.addEventListener("pointerdown", (event) => {
    if (event.pointerType !== "touch") return;
    touches.set(event.pointerId, event);
    if (touches.size === 2) {
      const [a, b] = [...touches.values()];
      pinch = { spread: Math.hypot(a.clientX - b.clientX, a.clientY - b.clientY) || 1,
        height: parseFloat(getComputedStyle(grid).getPropertyValue("--row-h")) || 112 };
    }
  });
  grid.addEventListener("pointermove", (event) => {
    if (!touches.has(event.pointerId)) return;
    touches.set(event.pointerId, event);
    if (!pinch || touches.size !== 2) return;
    const [a, b] = [...touches.values()];
    const spread = Math.hypot(a.clientX - b.clientX, a.clientY - b.clientY);
    localStorage.setItem(ZOOM_KEY, String(apply(pinch.height * (spread / pinch.spread))));
  });
  for (const type of ["pointerup", "pointercancel"]) {
    grid.addEventListener(type, (event) => {
      touches.delete(event.pointerId);
      if (touches.size < 2) pinch = null;
    });
  }
}

// The date scrubber: each year sits where it starts in the timeline; drag along it (a bubble shows the year) or
// click a year. A year on the loaded pages is scrolled to; another one loads its page.
function setupScrubber(scrubber) {
  const links = [...scrubber.querySelectorAll("a[data-year]")];
  const bubble = scrubber.querySelector(".scrubber-bubble");
  const at = (link) => parseFloat(link.parentElement.dataset.at) || 0;
  for (const link of links) link.parentElement.style.setProperty("--at", String(at(link)));
  // The year whose label starts at or above the pointer (labels sit where their year starts).
  const yearAt = (clientY) => links.filter((link) => link.getBoundingClientRect().top <= clientY + 2).pop() || links[0];
  const go = (link, { smooth = true } = {}) => {
    const anchor = document.getElementById(`y${link.dataset.year}`);
    if (!anchor) return void (window.location.href = link.href);
    anchor.scrollIntoView({ behavior: smooth ? "smooth" : "instant", block: "start" });
    history.replaceState(history.state, "", `#y${link.dataset.year}`);
    mark(link);
  };
  const mark = (current) => {
    for (const link of links) link.classList.toggle("current", link === current);
  };
  let drag = null;
  scrubber.addEventListener("pointerdown", (event) => {
    if (event.button) return;
    event.preventDefault();
    scrubber.setPointerCapture(event.pointerId);
    drag = { startY: event.clientY, link: yearAt(event.clientY), moved: false };
    scrubber.classList.add("dragging");
  });
  scrubber.addEventListener("pointermove", (event) => {
    if (!drag) return;
    if (Math.abs(event.clientY - drag.startY) > 4) drag.moved = true;
    if (!drag.moved) return;
    const link = yearAt(event.clientY);
    const rect = scrubber.getBoundingClientRect();
    bubble.hidden = false;
    bubble.textContent = link.dataset.year;
    bubble.style.top = `${Math.min(Math.max(event.clientY - rect.top, 0), rect.height)}px`;
    if (link !== drag.link && document.getElementById(`y${link.dataset.year}`)) go(link, { smooth: false });
    drag.link = link;
    mark(link);
  });
  const end = (event) => {
    if (!drag) return;
    const { moved } = drag;
    const link = moved ? drag.link : event.target.closest("a[data-year]") || yearAt(event.clientY);
    drag = null;
    scrubber.classList.remove("dragging");
    bubble.hidden = true;
    if (event.type === "pointerup") go(link);
  };
  scrubber.addEventListener("pointerup", end);
  scrubber.addEventListener("pointercancel", end);
  // Pointer clicks are handled above; the keyboard's Enter still arrives here.
  scrubber.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-year]");
    if (!link) return;
    event.preventDefault();
    if (event.detail === 0) go(link);
  });
  // Follow the scroll: the year of the first photo in view is marked.
  const years = new Map();
  const seen = new IntersectionObserver((entries) => {
    for (const entry of entries) years.set(entry.target, entry.isIntersecting);
    const first = [...grid.querySelectorAll(".card")].find((card) => years.get(card));
    const year = first && yearOf(first);
    if (year) mark(links.find((link) => link.dataset.year === year));
  });
  const yearOf = (card) => {
    let node = card;
    while (node && !node.querySelector?.(".month-head")) node = node.previousElementSibling;
    return node?.querySelector(".month-long").textContent.trim().split(" ").pop();
  };
  const observe = () => grid.querySelectorAll(".card").forEach((card) => seen.observe(card));
  observe();
  new MutationObserver(observe).observe(grid, { childList: true });
}

// Files dropped anywhere on the gallery page are uploaded; the page then reloads with them (processing badges
// follow them until ready). The upload page shows per-file progress; this is the quick way.
function setupPageDrop() {
  const overlay = el("div", { class: "page-drop", hidden: true }, el("p", { text: "Drop to upload to your gallery" }));
  document.body.append(overlay);
  let depth = 0;
  const hasFiles = (event) => [...(event.dataTransfer?.types || [])].includes("Files");
  window.addEventListener("dragenter", (event) => {
    if (!hasFiles(event)) return;
    depth += 1;
    overlay.hidden = false;
  });
  window.addEventListener("dragleave", () => {
    depth = Math.max(0, depth - 1);
    if (!depth) overlay.hidden = true;
  });
  window.addEventListener("dragover", (event) => hasFiles(event) && event.preventDefault());
  window.addEventListener("drop", async (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    depth = 0;
    const files = [...event.dataTransfer.files].filter((file) => file.type.startsWith("image/") || !file.type);
    overlay.firstChild.textContent = `Uploading ${files.length} photo${files.length === 1 ? "" : "s"}…`;
    const body = new FormData();
    for (const file of files) body.append("files", file, file.name);
    const { ok, status, data } = await request(API.photos, { method: "POST", body });
    if (ok && data.created.length) return window.location.reload();
    overlay.firstChild.textContent = ok
      ? (data.rejected[0]?.error || "Already in your gallery.")
      : errorMessage(status, data);
    setTimeout(() => { overlay.hidden = true; }, 4000);
  });
}

const selection = grid ? new Selection(grid) : null;
const keys = grid
  ? new GridKeys(grid, { onToggle: (card) => card.querySelector(".card-select")?.click() })
  : null;
if (grid) new Viewer(grid).fromUrl(); // after Selection: a click that selects does not open the viewer

if (document.getElementById("storage-usage")) setupPageDrop(); // the gallery's own page, not albums or trash

if (grid) {
  shape(grid.querySelectorAll(".card"));
  // A long press selects on a touch screen (the browser's context menu for it is not needed on a photo).
  grid.addEventListener("contextmenu", (event) => {
    const card = event.target.closest(".card");
    if (!card || !matchMedia("(hover: none)").matches) return;
    event.preventDefault();
    card.querySelector(".card-select")?.click();
  });
  setupZoom();
  const scrubber = document.getElementById("date-scrubber");
  if (scrubber) setupScrubber(scrubber);
  follow([...grid.querySelectorAll(".card[data-photo-id]")]);
  for (const type of ["selection:change", "photos:trashed", "photos:restored"]) {
    document.addEventListener(type, () => keys.refresh());
  }
  const pagination = document.querySelector(".pagination");
  if (pagination?.querySelector('a[rel="next"]')) {
    const observer = new IntersectionObserver(
      (entries) => entries.some((entry) => entry.isIntersecting) && appendNextPage(observer),
      { rootMargin: "600px 0px" },
    );
    observer.observe(pagination);
  }
}
