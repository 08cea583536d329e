// What a selection can do besides tagging (favourite, albums, trash, restore, delete forever), the heart on
// cards and in the viewer, and the confirmation before anything is deleted for good. Every change is one
// request to the API, and the page updates in place.
import { API, PAGES, el, errorMessage, request } from "./api.js";

const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;
const confirmDialog = document.getElementById("confirm-dialog");

/** Ask before something cannot be undone; resolves to true when confirmed. */
export function confirmDanger(text, button = "Delete forever") {
  if (!confirmDialog) return Promise.resolve(true);
  confirmDialog.querySelector("#confirm-text").textContent = text;
  confirmDialog.querySelector('[data-confirm="yes"]').textContent = button;
  return new Promise((resolve) => {
    const answer = (event) => {
      const choice = event.target.closest("[data-confirm]")?.dataset.confirm;
      if (!choice) return;
      confirmDialog.removeEventListener("click", answer);
      confirmDialog.close();
      resolve(choice === "yes");
    };
    confirmDialog.addEventListener("click", answer);
    confirmDialog.addEventListener("cancel", () => {
      confirmDialog.removeEventListener("click", answer);
      resolve(false);
    }, { once: true });
    confirmDialog.showModal();
    confirmDialog.querySelector('[data-confirm="no"]').focus();
  });
}

function showFavourite(ids, on) {
  for (const id of ids.map(String)) {
    for (const card of document.querySelectorAll(`.card[data-photo-id="${id}"]`)) {
      card.dataset.favourite = String(on);
      card.querySelector(".card-fav")?.setAttribute("aria-pressed", String(on));
    }
  }
  document.dispatchEvent(new CustomEvent("photos:favourite", { detail: { ids: ids.map(String), on } }));
}

export async function setFavourite(ids, on) {
  const { ok, status, data } = await request(API.bulkFavourite, { method: "POST", json: { ids, favourite: on } });
  if (ok) showFavourite(ids, on);
  return { ok, message: ok ? "" : errorMessage(status, data) };
}

async function setArchived(ids, archived, selection) {
  const { ok, status, data } = await request(API.bulkArchive, { method: "POST", json: { ids, archived } });
  if (!ok) return fail(selection, status, data);
  const undo = el("button", { type: "button", class: "btn btn-small", text: "Undo" });
  undo.addEventListener("click", async () => {
    const back = await request(API.bulkArchive, { method: "POST", json: { ids, archived: !archived } });
    if (back.ok) window.location.reload();
    else fail(selection, back.status, back.data);
  });
  selection.drop(ids);
  selection.say(`${archived ? "Archived" : "Unarchived"} ${plural(ids.length, "photo")}${archived ? "; they stay in albums and search" : ""}. `, undo);
  undo.focus();
}

async function fail(selection, status, data) {
  selection.say(el("span", { class: "reason", text: errorMessage(status, data) }));
}

const handlers = {
  async favourite({ ids, selection }) {
    const cards = ids.map((id) => document.querySelector(`.card[data-photo-id="${id}"]`));
    const on = !cards.every((card) => card?.dataset.favourite === "true"); // all already? then unmark
    const { ok, message } = await setFavourite(ids, on);
    selection.say(ok ? `${on ? "Marked" : "Unmarked"} ${plural(ids.length, "photo")} as favourite${ids.length === 1 ? "" : "s"}.` : message);
  },

  async trash({ ids, selection }) {
    const { ok, status, data } = await request(API.bulkTrash, { method: "POST", json: { ids } });
    if (!ok) return fail(selection, status, data);
    const undo = el("button", { type: "button", class: "btn btn-small", text: "Undo" });
    undo.addEventListener("click", async () => {
      const restored = await request(API.trashRestore, { method: "POST", json: { ids } });
      if (restored.ok) window.location.reload();
      else fail(selection, restored.status, restored.data);
    });
    selection.drop(ids);
    selection.say(`Moved ${plural(ids.length, "photo")} to the trash. `, undo);
    undo.focus();
  },

  // Archive: out of the timeline (still in albums and search), with Undo; "unarchive" on the Archived view.
  async archive({ ids, selection }) {
    await setArchived(ids, true, selection);
  },

  async unarchive({ ids, selection }) {
    await setArchived(ids, false, selection);
  },

  // A zip of the originals, streamed by the server; the browser saves it (no page change).
  download({ ids, selection }) {
    const link = el("a", { href: `${API.download}?ids=${ids.join(",")}`, download: "" });
    document.body.append(link);
    link.click();
    link.remove();
    selection.say(`Downloading ${plural(ids.length, "photo")} as a zip…`);
  },

  async restore({ ids, selection }) {
    const { ok, status, data } = await request(API.trashRestore, { method: "POST", json: { ids } });
    if (!ok) return fail(selection, status, data);
    selection.drop(ids);
    if (!selection.grid.querySelector(".card")) return window.location.reload(); // the trash's empty state
    selection.say(`Restored ${plural(ids.length, "photo")} to your gallery.`);
  },

  async "delete-forever"({ ids, selection }) {
    if (!(await confirmDanger(`Delete ${plural(ids.length, "photo")} for good? This cannot be undone.`))) return;
    const { ok, status, data } = await request(API.trashDelete, { method: "POST", json: { ids } });
    if (!ok) return fail(selection, status, data);
    selection.drop(ids);
    if (!selection.grid.querySelector(".card")) return window.location.reload(); // the trash's empty state
    selection.say(`Deleted ${plural(ids.length, "photo")} for good.`);
  },

  async "album-remove"({ ids, selection }) {
    const album = selection.grid.dataset.albumId;
    const { ok, status, data } = await request(API.albumPhotosRemove(album), { method: "POST", json: { ids } });
    if (!ok) return fail(selection, status, data);
    selection.drop(ids);
    selection.say(`Took ${plural(ids.length, "photo")} out of the album; they are still in your gallery.`);
  },

  async "album-cover"({ ids, selection }) {
    if (ids.length !== 1) return selection.say("Select one photo to be the cover.");
    const album = selection.grid.dataset.albumId;
    const { ok, status, data } = await request(API.album(album), { method: "PATCH", json: { cover: ids[0] } });
    if (!ok) return fail(selection, status, data);
    selection.say("That photo is the album's cover now.");
  },
};

document.addEventListener("selection:action", (event) => {
  const handler = handlers[event.detail.action];
  if (handler && event.detail.ids.length) handler(event.detail);
});

// "Add to album": an existing album, or a new one made with the selection in it.
const albumForm = document.getElementById("selection-album");
if (albumForm) {
  const select = albumForm.elements.album;
  const nameInput = albumForm.elements.name;
  select.addEventListener("change", () => {
    nameInput.hidden = select.value !== "new";
    if (!nameInput.hidden) nameInput.focus();
  });
  albumForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const { selection } = document.getElementById("selection-bar");
    const ids = selection.list();
    if (!ids.length) return;
    let album = select.value;
    let name = select.selectedOptions[0]?.textContent;
    let result;
    if (album === "new") {
      name = nameInput.value.trim();
      if (!name) return nameInput.focus();
      result = await request(API.albums, { method: "POST", json: { name, ids } });
      if (result.ok) {
        album = String(result.data.id);
        select.prepend(el("option", { value: album, text: name }));
        select.value = album;
        nameInput.value = "";
        nameInput.hidden = true;
      }
    } else {
      result = await request(API.albumPhotos(album), { method: "POST", json: { ids } });
    }
    if (!result.ok) return fail(selection, result.status, result.data);
    selection.say(`Added ${plural(ids.length, "photo")} to “${name}”. `, el("a", { href: PAGES.album(album), text: "Open the album" }));
  });
}

// The heart on each card (a button without a form: the photo page's heart works without JavaScript).
document.addEventListener("click", async (event) => {
  const heart = event.target.closest(".card-fav");
  if (!heart) return;
  event.preventDefault();
  const card = heart.closest(".card");
  await setFavourite([Number(card.dataset.photoId)], card.dataset.favourite !== "true");
});

// Emptying the trash is confirmed first.
const emptyTrash = document.getElementById("empty-trash");
emptyTrash?.addEventListener("submit", async (event) => {
  if (emptyTrash.dataset.confirmed) return;
  event.preventDefault();
  if (await confirmDanger("Delete every photo in the trash for good? This cannot be undone.", "Empty trash")) {
    emptyTrash.dataset.confirmed = "1";
    emptyTrash.requestSubmit();
  }
});
