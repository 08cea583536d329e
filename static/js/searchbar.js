// The header search bar: word suggestions from the word space, and search by an image that is
// chosen, dropped or pasted. Off the search page the image is handed over through sessionStorage.
import { API, IMAGE_KEY, PAGES, debounce, request } from "./api.js";

document.documentElement.classList.add("js"); // styles that need scripts (e.g. the hearts on cards) key on it

const MAX_STORED_SIDE = 1024; // only large images are shrunk before hand-over; storage holds a few MB

const form = document.getElementById("searchbar");
const input = document.getElementById("search-q");
const list = document.getElementById("word-suggestions");
const picker = document.getElementById("search-image");

/** The last positive word of the query: the one being typed. */
function lastWord(text) {
  const words = text.trim().split(/\s+/).filter((w) => w && !w.startsWith("-"));
  return words.length ? words[words.length - 1].toLowerCase() : "";
}

const suggest = debounce(async () => {
  const text = input.value;
  const word = lastWord(text);
  if (word.length < 2 || text.endsWith(" ")) return;
  // Names of the owner's people first (they are query terms too), then similar words.
  const [words, people] = await Promise.all([
    request(`${API.words}?q=${encodeURIComponent(word)}&k=8`),
    API.people ? request(`${API.people}?q=${encodeURIComponent(word)}`) : Promise.resolve({ ok: false }),
  ]);
  if ((!words.ok && !people.ok) || input.value !== text) return;
  const head = text.slice(0, text.toLowerCase().lastIndexOf(word));
  const names = people.ok ? people.data.results.filter((p) => p.name && !p.hidden).map((p) => p.name.toLowerCase()) : [];
  const similar = words.ok ? words.data.results.map(({ word: neighbour }) => neighbour) : [];
  list.replaceChildren(
    ...[...new Set([...names, ...similar])].map((value) => Object.assign(document.createElement("option"), { value: head + value })),
  );
}, 250);

async function fileToDataUrl(file) {
  const bitmap = await createImageBitmap(file).catch(() => null);
  if (bitmap && Math.max(bitmap.width, bitmap.height) > MAX_STORED_SIDE) {
    const scale = MAX_STORED_SIDE / Math.max(bitmap.width, bitmap.height);
    const canvas = Object.assign(document.createElement("canvas"), {
      width: Math.round(bitmap.width * scale),
      height: Math.round(bitmap.height * scale),
    });
    canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    return canvas.toDataURL("image/jpeg", 0.92);
  }
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

/** Search by this image: on the search page directly, elsewhere by navigating there. */
async function searchByImage(file) {
  if (!file || !file.type.startsWith("image/")) {
    input.setCustomValidity("That file is not an image.");
    input.reportValidity();
    setTimeout(() => input.setCustomValidity(""), 3000);
    return;
  }
  if (document.body.classList.contains("page-search")) {
    document.dispatchEvent(new CustomEvent("search:image", { detail: { file } }));
    return;
  }
  try {
    sessionStorage.setItem(IMAGE_KEY, JSON.stringify({ name: file.name || "pasted image", dataUrl: await fileToDataUrl(file) }));
  } catch {
    input.setCustomValidity("This image is too large to search with; try a smaller one.");
    input.reportValidity();
    return;
  }
  window.location.assign(`${PAGES.search}?image=1`);
}

if (form) {
  input.addEventListener("input", suggest);
  picker.addEventListener("change", () => {
    searchByImage(picker.files[0]);
    picker.value = "";
  });
  input.addEventListener("paste", (event) => {
    const file = [...(event.clipboardData?.files || [])].find((f) => f.type.startsWith("image/"));
    if (file) {
      event.preventDefault();
      searchByImage(file);
    }
  });
  for (const type of ["dragenter", "dragover"]) {
    form.addEventListener(type, (event) => {
      if ([...event.dataTransfer.types].includes("Files")) {
        event.preventDefault();
        form.classList.add("dragover");
      }
    });
  }
  form.addEventListener("dragleave", () => form.classList.remove("dragover"));
  form.addEventListener("drop", (event) => {
    form.classList.remove("dragover");
    const file = event.dataTransfer.files[0];
    if (file) {
      event.preventDefault();
      searchByImage(file);
    }
  });
  // "/" jumps to the search bar from anywhere but a text field, as on many sites.
  document.addEventListener("keydown", (event) => {
    const typing = event.target.closest("input, textarea, select, [contenteditable]");
    if (event.key === "/" && !typing && !event.ctrlKey && !event.metaKey && !event.altKey) {
      event.preventDefault();
      input.focus();
    }
  });
  // The query image stays in this tab's storage only while signed in.
  document.querySelector('form[action$="/logout/"]')?.addEventListener("submit", () => sessionStorage.removeItem(IMAGE_KEY));
  form.addEventListener("submit", (event) => {
    if (!input.value.trim()) {
      event.preventDefault();
      input.focus();
    }
  });
}
