// "Search this album" on an album page (yours or shared with you): the album's own search API ranks its photos,
// and the grid shows the matches in that order; Clear brings the whole album back. Nothing else is searched.
import { API, errorMessage, request } from "./api.js";

const form = document.getElementById("album-search");
const grid = document.getElementById("photo-grid");

if (form && grid) {
  const status = form.querySelector("[role=status]");
  const clear = form.querySelector("[data-clear]");
  const original = [...grid.children];
  const url = API.albumSearch.replace("/0/", `/${form.dataset.albumId}/`);

  const restore = () => {
    grid.replaceChildren(...original);
    for (const card of original) card.hidden = false;
    status.textContent = "";
    clear.hidden = true;
  };

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const q = form.elements.q.value.trim();
    if (!q) return restore();
    status.textContent = "Searching…";
    const { ok, status: code, data } = await request(`${url}?${new URLSearchParams({ q, k: 100 })}`);
    if (!ok) {
      status.textContent = errorMessage(code, data);
      return;
    }
    const byId = new Map(original.map((card) => [card.dataset.photoId, card]));
    const matches = data.results.map((hit) => byId.get(String(hit.photo.id))).filter(Boolean);
    for (const card of original) card.hidden = !matches.includes(card);
    grid.replaceChildren(...matches, ...original.filter((card) => !matches.includes(card)));
    status.textContent = `${matches.length} photo${matches.length === 1 ? "" : "s"}, best match first`;
    clear.hidden = false;
  });
  clear.addEventListener("click", () => {
    form.elements.q.value = "";
    restore();
  });
}
