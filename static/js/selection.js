// Selecting photos in a grid of cards: click a card's box, shift-click for a range, "Select all"; while
// anything is selected a click on a card toggles it instead of opening it. The bar below the grid tags the
// selection in one request, accepts a suggestion for all of it, and hosts other pages' actions: a button with
// data-selection-action="NAME" in .selection-actions fires document "selection:action" {action, ids, selection}.
import { API, PAGES, debounce, el, errorMessage, request } from "./api.js";

const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

export class Selection {
  constructor(grid, bar = document.getElementById("selection-bar")) {
    this.grid = grid;
    this.bar = bar;
    bar.selection = this; // for page scripts that act on the selection (actions.js)
    this.ids = new Set();
    this.anchor = null;
    this.count = bar.querySelector("#selection-count");
    this.status = bar.querySelector("#selection-status");
    this.tagForm = bar.querySelector("#selection-tag");
    this.suggestions = bar.querySelector("#selection-suggestions");
    this.loadSuggestions = debounce(() => this.showSuggestions(), 300);
    grid.addEventListener("click", (event) => this.onClick(event));
    grid.addEventListener("change", (event) => {
      if (event.target.matches(".card-select")) this.set(event.target.value, event.target.checked);
    });
    bar.querySelector("[data-select-all]").addEventListener("click", () => this.selectAll());
    bar.querySelector("[data-select-none]").addEventListener("click", () => this.clear());
    this.tagForm?.addEventListener("submit", (event) => {
      event.preventDefault();
      this.bulkTag(this.tagForm.elements.name.value, "add");
    });
    this.suggestions?.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-tag]");
      if (button) this.bulkTag(button.dataset.tag, "accept");
    });
    bar.querySelector(".selection-actions").addEventListener("click", (event) => {
      const button = event.target.closest("[data-selection-action]");
      if (!button) return;
      this.fire(button.dataset.selectionAction);
    });
  }

  fire(action, extra = {}) {
    document.dispatchEvent(new CustomEvent("selection:action", {
      detail: { action, ids: this.list(), selection: this, ...extra },
    }));
  }

  /** Say what happened in the bar; nodes may include links or an Undo button. */
  say(...nodes) {
    this.status.replaceChildren(...nodes);
  }

  /** Cards leave the grid (trashed, restored, taken out of an album). */
  drop(ids) {
    for (const id of ids.map(String)) {
      this.grid.querySelector(`.card[data-photo-id="${id}"]`)?.remove();
      this.ids.delete(id);
    }
    this.changed();
    this.bar.hidden = false; // keep the bar (and its message) until the next selection change
  }

  boxes() {
    return [...this.grid.querySelectorAll(".card-select")];
  }

  list() {
    return [...this.ids].map(Number);
  }

  onClick(event) {
    const box = event.target.closest(".card-select");
    if (box) {
      if (event.shiftKey && this.anchor !== null) this.range(box);
      this.anchor = box.value;
      return; // the change event does the rest
    }
    const link = event.target.closest(".card-link");
    if (link && this.ids.size && !event.ctrlKey && !event.metaKey) {
      event.preventDefault(); // while selecting, a click selects
      const cardBox = link.closest(".card").querySelector(".card-select");
      if (event.shiftKey && this.anchor !== null) this.range(cardBox);
      else this.set(cardBox.value, !cardBox.checked);
      this.anchor = cardBox.value;
    }
  }

  range(box) {
    const boxes = this.boxes();
    const [from, to] = [boxes.findIndex((b) => b.value === this.anchor), boxes.indexOf(box)].sort((a, b) => a - b);
    if (from < 0) return;
    for (const other of boxes.slice(from, to + 1)) this.set(other.value, true, false);
    this.changed();
  }

  set(id, on, notify = true) {
    id = String(id);
    if (on) this.ids.add(id);
    else this.ids.delete(id);
    for (const box of this.grid.querySelectorAll(`.card-select[value="${id}"]`)) {
      box.checked = on;
      box.closest(".card").classList.toggle("selected", on);
    }
    if (notify) this.changed();
  }

  selectAll() {
    for (const box of this.boxes()) if (!box.closest("[hidden]")) this.set(box.value, true, false);
    this.changed();
  }

  clear() {
    for (const id of [...this.ids]) this.set(id, false, false);
    this.anchor = null;
    this.changed();
  }

  /** Cards added later (the next page, new results) show whether they are selected. */
  refresh() {
    for (const box of this.boxes()) {
      box.checked = this.ids.has(box.value);
      box.closest(".card").classList.toggle("selected", box.checked);
    }
  }

  changed() {
    const n = this.ids.size;
    this.grid.classList.toggle("selecting", n > 0);
    this.bar.hidden = n === 0;
    this.count.textContent = `${n} selected`;
    if (n && this.suggestions) this.loadSuggestions();
    document.dispatchEvent(new CustomEvent("selection:change", { detail: { ids: this.list(), selection: this } }));
  }

  /** Suggested tags of the selected photos, most shared first, each to accept for all of them at once. */
  async showSuggestions() {
    const ids = this.list();
    if (!ids.length) return;
    const { ok, data } = await request(`${API.photos}?page_size=1000&ids=${ids.join(",")}`);
    if (!ok || String(ids) !== String(this.list())) return;
    const counts = new Map();
    for (const photo of data.results) {
      for (const tag of photo.tags) if (tag.state === "suggested") counts.set(tag.name, (counts.get(tag.name) || 0) + 1);
    }
    const top = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, 8);
    this.suggestions.querySelector("ul").replaceChildren(...top.map(([name, count]) => el("li", {},
      el("button", { type: "button", class: "chip", "data-tag": name,
        "aria-label": `Accept “${name}” for the ${plural(count, "photo")} it is suggested for` },
      `✓ ${name}`, el("span", { class: "chip-count", text: String(count) })))));
    this.suggestions.hidden = !top.length;
  }

  async bulkTag(name, action) {
    name = name.trim();
    const ids = this.list();
    if (!name || !ids.length) return;
    this.status.textContent = "Saving…";
    const { ok, status, data } = await request(API.bulkTags, { method: "POST", json: { ids, name, action } });
    if (!ok) {
      this.status.replaceChildren(el("span", { class: "reason", text: errorMessage(status, data) }));
      return;
    }
    const verb = action === "accept" ? "Accepted" : "Tagged";
    const link = new URL(PAGES.home, window.location.href);
    link.searchParams.set("tag", name.toLowerCase());
    this.status.replaceChildren(`${verb} “${name}” on ${plural(data.changed, "photo")}. `,
      el("a", { href: link.pathname + link.search, text: `Show “${name}”` }));
    if (action === "add") this.tagForm.reset();
    this.showSuggestions();
    document.dispatchEvent(new CustomEvent("photos:tagged", { detail: { ids, name, action } }));
  }
}
