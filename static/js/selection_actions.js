// Actions on a selection of photos (gallery and search results): "More like these" / "Less like these" search
// with the selection as examples (Rocchio, POST /api/search/similar/), and delete them after one confirmation.
import { API, PAGES, el, errorMessage, request } from "./api.js";

const ids = (value) => (value || "").split(",").filter(Boolean);
const current = new URLSearchParams(window.location.search);
const onLikeSearch = window.location.pathname === PAGES.search && current.has("like");
const lessLike = document.querySelector('[data-selection-action="less-like"]');
if (lessLike) lessLike.hidden = !onLikeSearch; // refining needs examples to refine

function likeSearch(like, unlike) {
  const params = new URLSearchParams({ like: [...new Set(like)].join(",") });
  const rest = [...new Set(unlike)].filter((id) => !like.includes(id));
  if (rest.length) params.set("unlike", rest.join(","));
  window.location.assign(`${PAGES.search}?${params}`);
}

const dialog = document.getElementById("bulk-delete-dialog");
let doomed = null;

document.addEventListener("selection:action", (event) => {
  const { action, selection } = event.detail;
  const chosen = event.detail.ids.map(String);
  if (!chosen.length) return;
  if (action === "more-like") {
    // On a "like these" search, the selection joins the examples: relevance feedback.
    likeSearch(onLikeSearch ? [...ids(current.get("like")), ...chosen] : chosen,
      onLikeSearch ? ids(current.get("unlike")).filter((id) => !chosen.includes(id)) : []);
  } else if (action === "less-like" && onLikeSearch) {
    likeSearch(ids(current.get("like")).filter((id) => !chosen.includes(id)), [...ids(current.get("unlike")), ...chosen]);
  } else if (action === "delete") {
    doomed = { chosen, selection };
    const n = chosen.length;
    document.getElementById("bulk-delete-text").textContent =
      `${n} photo${n === 1 ? "" : "s"}, with their tags, will be deleted for good.`;
    dialog.showModal();
    dialog.querySelector("[data-close]").focus();
  }
});

dialog?.querySelector("[data-close]").addEventListener("click", () => dialog.close());
dialog?.querySelector("[data-confirm]").addEventListener("click", async () => {
  dialog.close();
  const { chosen, selection } = doomed;
  selection.status.textContent = "Deleting…";
  const { ok, status, data } = await request(API.bulkDelete, { method: "POST", json: { ids: chosen.map(Number) } });
  if (!ok) {
    selection.status.replaceChildren(el("span", { class: "reason", text: errorMessage(status, data) }));
    return;
  }
  for (const id of chosen) {
    for (const card of document.querySelectorAll(`.card[data-photo-id="${id}"]`)) card.remove();
  }
  selection.clear();
  const note = document.getElementById("results-status") || document.querySelector(".page-head .muted");
  if (note) {
    note.setAttribute("role", "status"); // the bar hides with the selection gone, so say it beside the grid
    note.textContent = `Deleted ${data.deleted} photo${data.deleted === 1 ? "" : "s"}.`;
  }
});
