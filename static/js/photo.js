// Photo page: delete confirmation in a dialog, live status while processing, and similar photos.
import { API, FINAL_STATUSES, el, errorMessage, pollPhotos, request, resultCard, setBadge } from "./api.js";
import "./actions.js";
import { Viewer } from "./viewer.js";

const root = document.getElementById("photo");
const id = root.dataset.photoId;
const dialog = document.getElementById("delete-dialog");
// The photo and its similar photos, one after another in the viewer.
const viewer = new Viewer(document.getElementById("main"));
viewer.fromUrl();

document.getElementById("delete-open").addEventListener("click", (event) => {
  event.preventDefault();
  dialog.showModal();
  dialog.querySelector("[data-close]").focus();
});
dialog.querySelector("[data-close]").addEventListener("click", () => dialog.close());

if (!FINAL_STATUSES.has(root.dataset.status)) {
  pollPhotos([id], {
    onUpdate(photo) {
      setBadge(root.querySelector('[data-role="status"]'), photo.status);
      // Tags and similar photos arrive with the final status: show them by reloading the page once.
      if (FINAL_STATUSES.has(photo.status)) window.location.reload();
    },
  });
} else if (root.dataset.status === "ready") {
  showSimilar();
}

async function showSimilar() {
  const box = document.getElementById("similar");
  const { ok, status, data } = await request(`${API.similar}?photo=${id}&k=13`);
  if (!ok) {
    box.replaceChildren(el("p", { class: "muted", text: errorMessage(status, data) }));
    return;
  }
  const hits = data.results.filter(({ photo }) => String(photo.id) !== id).slice(0, 12);
  box.replaceChildren(hits.length
    ? el("ul", { class: "grid", "aria-label": "Similar photos" }, ...hits.map((hit) => resultCard(hit)))
    : el("p", { class: "muted", text: "No other photos in your gallery yet — upload more to see similar ones here." }));
  viewer.fromUrl();
}
