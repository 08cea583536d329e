// Gallery: photos still being processed update in place until they are ready or have failed, and the
// next page is appended when the reader nears the end (the page links remain for everyone else).
import { FINAL_STATUSES, el, pollPhotos, setBadge } from "./api.js";
import { Selection } from "./selection.js";
import "./selection_actions.js";
import "./actions.js";
import { Viewer } from "./viewer.js";

for (const select of document.querySelectorAll("select[data-autosubmit]")) {
  select.addEventListener("change", () => select.form.requestSubmit());
}

const grid = document.getElementById("photo-grid");

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
      setBadge(card.querySelector('[data-role="status"]'), photo.status);
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
  const items = [...doc.querySelectorAll("#photo-grid > .card, #photo-grid > .month-head")];
  const lastMonth = [...grid.querySelectorAll(".month-head")].pop()?.dataset.month;
  if (items[0]?.matches(".month-head") && items[0].dataset.month === lastMonth) items.shift(); // same month goes on
  for (const head of items) if (head.id && document.getElementById(head.id)) head.removeAttribute("id");
  grid.append(...items.map((item) => document.adoptNode(item)));
  const cards = items.filter((item) => item.matches(".card"));
  selection.refresh();
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

const selection = grid ? new Selection(grid) : null;
if (grid) new Viewer(grid).fromUrl(); // after Selection: a click that selects does not open the viewer

if (grid) {
  follow([...grid.querySelectorAll(".card[data-photo-id]")]);
  const pagination = document.querySelector(".pagination");
  if (pagination?.querySelector('a[rel="next"]')) {
    const observer = new IntersectionObserver(
      (entries) => entries.some((entry) => entry.isIntersecting) && appendNextPage(observer),
      { rootMargin: "600px 0px" },
    );
    observer.observe(pagination);
  }
}
