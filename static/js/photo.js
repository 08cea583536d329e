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
  // Only strong and possible matches show; the rest wait behind "Show more" (weak ones are rarely alike).
  const close = hits.filter(({ match }) => match && match !== "weak");
  const cards = hits.map((hit) => resultCard(hit));
  for (const [i, card] of cards.entries()) card.hidden = !close.includes(hits[i]);
  const more = el("button", { type: "button", class: "btn btn-ghost", "aria-controls": "similar-list",
    text: `Show ${hits.length - close.length} more, less alike` });
  more.addEventListener("click", () => {
    for (const card of cards) card.hidden = false;
    more.remove();
    cards[close.length]?.querySelector(".card-link")?.focus();
  });
  box.replaceChildren(
    ...(hits.length
      ? [
        ...(close.length ? [] : [el("p", { class: "muted", text: "No photo in your gallery is close to this one." })]),
        el("ul", { class: "grid", id: "similar-list", "aria-label": "Similar photos" }, ...cards),
        ...(hits.length > close.length ? [el("div", { class: "more-results" }, more)] : []),
      ]
      : [el("p", { class: "muted", text: "No other photos in your gallery yet — upload more to see similar ones here." })]),
  );
  viewer.fromUrl();
}

// Tagging without a reload: each tag form is posted as it is (the page works the same without JavaScript), the
// tags panel is replaced by the server's answer, and focus goes to the next suggestion so a phone user can
// accept or reject one after another without scrolling back.
const tagsPanel = document.getElementById("tags-panel");

tagsPanel.addEventListener("submit", async (event) => {
  const form = event.target;
  event.preventDefault();
  const submitter = event.submitter;
  const action = submitter?.value || form.elements.action?.value;
  const suggestions = [...tagsPanel.querySelectorAll(".suggestion")];
  const index = suggestions.indexOf(form.closest(".suggestion"));
  const body = new FormData(form, submitter);
  tagsPanel.setAttribute("aria-busy", "true");
  let doc = null;
  try {
    // form.action would be the form's input named "action"; the attribute is the URL.
    const response = await fetch(form.getAttribute("action"), { method: "POST", body, credentials: "same-origin" });
    if (response.ok) doc = new DOMParser().parseFromString(await response.text(), "text/html");
  } catch {
    doc = null;
  }
  tagsPanel.removeAttribute("aria-busy");
  const fresh = doc?.getElementById("tags-panel");
  const status = () => document.getElementById("tags-status");
  if (!fresh) {
    status().textContent = "Could not save the tag. Check your connection and try again.";
    return;
  }
  tagsPanel.replaceChildren(...[...fresh.childNodes].map((node) => document.adoptNode(node)));
  const error = doc.querySelector(".message-error");
  status().textContent = error ? error.textContent : "";
  const next = [...tagsPanel.querySelectorAll(".suggestion")];
  if (action === "accept" || action === "reject") {
    const target = next[Math.min(index, next.length - 1)];
    (target?.querySelector(`button[value="${action}"]`) || document.getElementById("new-tag")).focus();
  } else if (action === "add") {
    document.getElementById("new-tag").focus();
  } else {
    (tagsPanel.querySelector(".tag-x") || document.getElementById("new-tag")).focus();
  }
});
