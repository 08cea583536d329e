// Actions on a selection of photos (gallery and search results): "More like these" / "Less like these" search
// with the selection as examples (Rocchio, POST /api/search/similar/). Deleting a selection moves it to the
// trash (actions.js).
import { PAGES } from "./api.js";

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

document.addEventListener("selection:action", (event) => {
  const { action } = event.detail;
  const chosen = event.detail.ids.map(String);
  if (!chosen.length) return;
  if (action === "more-like") {
    // On a "like these" search, the selection joins the examples: relevance feedback.
    likeSearch(onLikeSearch ? [...ids(current.get("like")), ...chosen] : chosen,
      onLikeSearch ? ids(current.get("unlike")).filter((id) => !chosen.includes(id)) : []);
  } else if (action === "less-like" && onLikeSearch) {
    likeSearch(ids(current.get("like")).filter((id) => !chosen.includes(id)), [...ids(current.get("unlike")), ...chosen]);
  }
});
