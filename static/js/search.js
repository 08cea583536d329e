// The results page. The query lives in the URL (q, photo, class; image=1 for an image held in the tab),
// so results can be linked, reloaded and navigated with Back.
import { API, IMAGE_KEY, debounce, el, errorMessage, request, resultCard } from "./api.js";
import { Selection } from "./selection.js";
import "./selection_actions.js";
import "./actions.js";
import { Viewer } from "./viewer.js";

// Results come a page at a time; "Show more" asks again for a longer list, up to the API's MAX_K.
const PAGE = 24;
const MAX_RESULTS = 100;
// When nothing is a close match, the few nearest still show (each labelled weak): the model often ranks the right
// photo first without being sure of it, and a page that hides it behind a button reads as "not found".
const NEAREST_SHOWN = 4;
let K = PAGE;
let unfolded = false; // the weak results of this query were asked for
let more = false; // the API has more results than are on screen
const results = document.getElementById("results");
const statusBox = document.getElementById("results-status");
const empty = document.getElementById("search-empty");
const refine = document.getElementById("refine");
const classInput = document.getElementById("class-input");
const classList = document.getElementById("class-options");
const queryImage = document.getElementById("query-image");
const neighbours = document.getElementById("word-neighbours");
const classOffers = document.getElementById("class-offers");
const foldToggle = document.getElementById("fold-toggle");
const headerInput = document.getElementById("search-q");
const tagResults = document.getElementById("tag-results");
const moreResults = document.getElementById("more-results");
const selection = new Selection(results);
const viewer = new Viewer(results);
let searched = null; // the query (URL without the viewer's ?view) of the results on screen
const queryKey = () => {
  const params = new URLSearchParams(window.location.search);
  params.delete("view");
  return params.toString();
};

const terms = document.getElementById("search-terms");
const spelling = document.getElementById("spelling");
const refinePanel = document.getElementById("refine-panel");

// exact: search the words as typed (no spelling correction), after "Search instead for …".
const state = { q: "", photoId: "", className: "", image: null, imageLost: false, like: "", unlike: "", exact: false };
let generation = 0; // a slow answer to an older query must not overwrite a newer one

function readUrl() {
  const params = new URLSearchParams(window.location.search);
  state.q = (params.get("q") || "").trim();
  state.photoId = params.get("photo") || "";
  state.className = (params.get("class") || "").trim();
  state.exact = params.get("exact") === "1";
  state.like = params.get("like") || ""; // "more like these": example photo ids, and counter-examples
  state.unlike = params.get("unlike") || "";
  if (params.get("image") !== "1") state.image = null;
  else if (!state.image) state.image = storedImage();
  state.imageLost = params.get("image") === "1" && !state.image;
}

function storedImage() {
  try {
    const stored = JSON.parse(sessionStorage.getItem(IMAGE_KEY));
    if (!stored) return null;
    const [head, body] = stored.dataUrl.split(",");
    const bytes = Uint8Array.from(atob(body), (c) => c.charCodeAt(0));
    const type = head.match(/data:([^;]+)/)[1];
    return { blob: new Blob([bytes], { type }), name: stored.name, url: stored.dataUrl };
  } catch {
    return null;
  }
}

function writeUrl() {
  const params = new URLSearchParams();
  if (state.q) params.set("q", state.q);
  if (state.q && state.exact) params.set("exact", "1");
  if (state.image) params.set("image", "1");
  else if (state.photoId) params.set("photo", state.photoId);
  if (state.className) params.set("class", state.className);
  if (state.like && !state.q && !state.image && !state.photoId) {
    params.set("like", state.like);
    if (state.unlike) params.set("unlike", state.unlike);
  }
  history.pushState(null, "", `?${params}`);
}

function showQueryImage() {
  if (!state.image) {
    if (!state.photoId) queryImage.hidden = true;
    return;
  }
  queryImage.replaceChildren(
    el("img", { src: state.image.url, alt: `Query image: ${state.image.name}` }),
    el("span", { text: `Like ${state.image.name}` }),
    el("button", { type: "button", class: "tag-x", id: "query-image-clear", "aria-label": "Stop searching by this image", title: "Remove image", text: "×" }),
  );
  queryImage.hidden = false;
}

function setStatus(...nodes) {
  statusBox.replaceChildren(...nodes);
}

function describe() {
  const parts = [];
  const count = (list) => list.split(",").filter(Boolean).length;
  if (state.like && !state.q && !state.image && !state.photoId) {
    parts.push(`photos like these ${count(state.like)}`);
    if (state.unlike) parts.push(`unlike ${count(state.unlike)}`);
  }
  if (state.image) parts.push(`photos like “${state.image.name}”`);
  else if (state.photoId) parts.push("photos like this one");
  if (state.q && !state.image) parts.push(`“${state.shownQ || state.q}”`);
  if (state.className) parts.push(`class “${state.className}”`);
  return parts.join(" · ");
}

function plan() {
  const classParam = state.className ? `&class=${encodeURIComponent(state.className)}` : "";
  if (state.image) {
    const body = new FormData();
    body.append("image", state.image.blob, state.image.name);
    body.append("k", String(K));
    if (state.className) body.append("class", state.className);
    return { url: API.similar, method: "POST", body };
  }
  const exact = state.exact ? "&exact=1" : "";
  if (state.photoId && state.q) {
    return { url: `${API.text}?q=${encodeURIComponent(state.q)}&photo=${state.photoId}&k=${K}${classParam}${exact}` };
  }
  if (state.photoId) return { url: `${API.similar}?photo=${state.photoId}&k=${K + 1}${classParam}` };
  if (state.q) return { url: `${API.text}?q=${encodeURIComponent(state.q)}&k=${K}${classParam}${exact}` };
  if (state.like) {
    const list = (value) => value.split(",").filter(Boolean).map(Number);
    return { url: API.similar, method: "POST", json: { photos: list(state.like), not_photos: list(state.unlike), k: K } };
  }
  if (state.className) return { url: `${API.byClass}?class=${encodeURIComponent(state.className)}&k=${K}` };
  return null;
}

async function run() {
  const mine = ++generation;
  if (queryKey() !== searched) {
    K = PAGE; // a new query starts with one page again, its weak results folded
    unfolded = false;
  }
  searched = queryKey();
  showQueryImage();
  classInput.value = state.className;
  if (headerInput && !state.image) headerInput.value = state.q;
  const query = plan();
  neighbours.hidden = true;
  classOffers.hidden = true;
  foldToggle.hidden = true;
  tagResults.hidden = true;
  moreResults.hidden = true;
  selection.clear();
  if (!query) {
    results.replaceChildren();
    setStatus(state.imageLost
      ? el("p", { class: "alert alert-error", role: "alert", text: "The image of that search is no longer here; choose it again." })
      : "");
    empty.hidden = false;
    return;
  }
  empty.hidden = true;
  results.setAttribute("aria-busy", "true");
  setStatus(el("span", { class: "spinner", "aria-hidden": "true" }), `Searching ${describe()}…`);
  let { ok, status, data } = await request(query.url, { method: query.method, body: query.body, json: query.json });
  if (mine !== generation) return;
  let corrected = data?.spelling || null;
  // A typo answered with "Did you mean" (an API without spelling correction): show the results for the first
  // suggestion, as the corrected query would, unless the words were asked for exactly.
  const fix = !ok && status === 400 && !state.exact && state.q && data?.word && data?.suggestions?.length &&
    typo(data.word, data.suggestions[0]);
  if (fix) {
    const fixed = replaceWord(state.q, data.word, data.suggestions[0]);
    const retry = await request(query.url.replace(`q=${encodeURIComponent(state.q)}`, `q=${encodeURIComponent(fixed)}`));
    if (mine !== generation) return;
    if (retry.ok) {
      ({ ok, status, data } = retry);
      corrected = { original: state.q, corrected: fixed };
    }
  }
  results.removeAttribute("aria-busy");
  state.shownQ = corrected?.corrected || "";
  showSpelling(corrected);
  showTerms(ok ? data.terms : null);
  if (!ok) {
    results.replaceChildren();
    setStatus(el("div", { class: "alert alert-error", role: "alert" },
      didYouMean(data) || el("p", { text: errorMessage(status, data) })));
    return;
  }
  const hits = data.results.filter(({ photo }) => String(photo.id) !== state.photoId || state.image).slice(0, K);
  results.replaceChildren(...hits.map((hit, i) => resultCard(hit, i + 1)));
  more = data.results.length >= K && K < MAX_RESULTS;
  showClassOffers(data.classes || []);
  // Relevance cutoff: strong and possible matches first; weak ones fold away until asked for (the nearest few
  // stay when nothing is close).
  const close = hits.filter(({ match }) => match !== "weak");
  const far = hits.length - close.length;
  const nearest = close.length ? 0 : Math.min(NEAREST_SHOWN, far);
  fold(far > nearest && !unfolded, nearest);
  tagResults.hidden = !close.length; // tagging is for results that are right, not for the nearest of nothing
  if (!hits.length) {
    setStatus(el("div", { class: "empty" },
      el("h2", { text: "No matches" }),
      el("p", { text: "Nothing in your gallery matches yet. Photos still being processed are not searchable until they are ready — or try other words." })));
  } else if (!close.length) {
    setStatus(el("div", { class: "empty" },
      el("h2", { text: "No close matches" }),
      el("p", { text: `No photo is a sure match for ${describe()}. The nearest ${nearest === 1 ? "is" : "are"} shown, labelled weak.` })));
    foldToggle.textContent = `Show ${far - nearest} more, less alike`;
  } else {
    const strong = close.filter(({ match }) => match === "strong").length;
    const counts = [[strong, "strong"], [close.length - strong, "possible"]].filter(([n]) => n).map(([n, w]) => `${n} ${w}`);
    const summary = close.some(({ match }) => match) ? ` (${counts.join(", ")})` : "";
    setStatus(el("p", { class: "muted" }, el("strong", { text: "Best matches" }), ` for ${describe()}${summary}.`));
    foldToggle.textContent = `Show ${far} more, less alike`;
  }
  viewer.fromUrl();
  if (state.q && !state.image) showNeighbours(mine);
}

/** "Showing results for coffee. Search instead for coffe": the corrected query, and a way back to the words typed. */
function showSpelling(corrected) {
  spelling.hidden = !corrected;
  if (!corrected) return spelling.replaceChildren();
  const params = new URLSearchParams(window.location.search);
  params.set("q", corrected.original);
  params.set("exact", "1");
  params.delete("view");
  spelling.replaceChildren("Showing results for ", el("strong", { text: corrected.corrected }), ". ",
    el("a", { href: `?${params}`, "data-exact": "1", text: `Search instead for ${corrected.original}` }));
}

// What each kind of term is called on its chip.
const TERM_KINDS = { place: "Place", date: "Date", person: "Person", thing: "Thing", tag: "Tag", colour: "Colour", color: "Colour", text: "Text" };

/** How the API understood each word, as chips; removing one searches again without that word. */
function showTerms(list) {
  const shown = (list || []).filter((term) => term && term.word);
  terms.hidden = shown.length < 1 || (shown.length === 1 && !["place", "date", "person"].includes(shown[0].as));
  terms.replaceChildren(...shown.map((term) => {
    const label = `${term.negated ? "not " : ""}${term.shown || term.word}`;
    return el("li", { class: `chip chip-term chip-${term.as || "word"}${term.negated ? " chip-negated" : ""}` },
      el("span", { class: "chip-kind", text: TERM_KINDS[term.as] || "Word" }),
      el("span", { text: label }),
      el("button", { type: "button", class: "chip-x", "data-word": term.word, "data-negated": term.negated ? "1" : "",
        "aria-label": `Remove ${label}`, text: "×" }));
  }));
}

/** A likely typo: at most one edit for a short word, two for a longer one (Levenshtein distance). */
function typo(word, suggestion) {
  const a = word.toLowerCase();
  const b = suggestion.toLowerCase();
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[b.length] <= (a.length > 5 ? 2 : 1);
}

function replaceWord(q, word, by) {
  const escaped = word.replace(/[.*+?^${}()|[\]\\-]/g, "\\$&");
  const pattern = new RegExp(`(^|\\s|-)${escaped}(?=\\s|$)`, "i");
  return q.replace(pattern, (_, lead) => lead + by);
}

terms.addEventListener("click", (event) => {
  const button = event.target.closest(".chip-x");
  if (!button) return;
  const word = button.dataset.word;
  const escaped = word.replace(/[.*+?^${}()|[\]\\-]/g, "\\$&");
  const pattern = new RegExp(`(^|\\s)${button.dataset.negated ? "-" : "-?"}${escaped}(?=\\s|$)`, "i");
  state.q = state.q.replace(pattern, " ").replace(/\s+/g, " ").trim();
  if (headerInput) headerInput.value = state.q;
  writeUrl();
  run();
  headerInput?.focus();
});

let keptOpen = 0; // weak results left unfolded: the nearest, when nothing is close

/** Fold the weak results after the first `keep` away (or show them all again); the toggle says how many. */
function fold(folded, keep = keptOpen) {
  keptOpen = keep;
  results.querySelectorAll('.card[data-match="weak"]').forEach((card, i) => { card.hidden = folded && i >= keep; });
  foldToggle.hidden = !folded;
  foldToggle.setAttribute("aria-expanded", String(!folded));
  moreResults.hidden = folded || !more; // further pages score lower still: offered once the weak ones are shown
}

/** An unknown word with its closest spellings ("Did you mean …"), each a link to the corrected search. */
function didYouMean(data) {
  if (!data?.suggestions?.length) return null;
  if (!data.word) return pickAKind(data);
  const pattern = new RegExp(`(^|\\s|-)${data.word.replace(/[.*+?^${}()|[\]\\-]/g, "\\$&")}(?=\\s|$)`, "i");
  return el("p", { class: "did-you-mean" }, `Unknown word: “${data.word}”. Did you mean `,
    ...data.suggestions.flatMap((word, i) => {
      const params = new URLSearchParams(window.location.search);
      params.set("q", state.q.replace(pattern, (_, lead) => lead + word));
      params.delete("view");
      return [i ? " or " : "", el("a", { href: `?${params}`, text: word })];
    }), "?");
}

/** A word given as a kind of thing that names several ("cat"): each is a link to the search narrowed to it. */
function pickAKind(data) {
  return el("p", {}, `${data.detail} `,
    ...data.suggestions.flatMap((name, i) => {
      const params = new URLSearchParams(window.location.search);
      params.set("class", name);
      params.delete("view");
      return [i ? ", " : "", el("a", { href: `?${params}`, text: name })];
    }));
}

/** A word that names kinds of thing ("cat": tabby cat, Siamese cat…) offers them, to narrow the search. */
function showClassOffers(offered) {
  const chips = offered.filter(({ name }) => name.toLowerCase() !== state.className.toLowerCase()).map(({ name }) => {
    const params = new URLSearchParams(window.location.search);
    params.set("class", name);
    params.delete("view");
    return el("a", { class: "chip", href: `?${params}`, text: name });
  });
  const narrowed = state.className && state.q && !state.image;
  if (!chips.length && !narrowed) return;
  const clear = new URLSearchParams(window.location.search);
  clear.delete("class");
  clear.delete("view");
  classOffers.replaceChildren(
    ...(narrowed ? [el("span", { text: `Narrowed to “${state.className}”.` }), el("a", { class: "chip", href: `?${clear}`, text: "Any kind" })] : []),
    ...(chips.length ? [el("span", { text: narrowed ? "Or:" : "Narrow to a kind of thing:" }), ...chips] : []),
  );
  classOffers.hidden = false;
}

async function showNeighbours(mine) {
  const words = state.q.split(/\s+/).filter((w) => w && !w.startsWith("-"));
  const word = words[words.length - 1];
  if (!word) return;
  const { ok, data } = await request(`${API.words}?q=${encodeURIComponent(word)}&k=6`);
  if (!ok || mine !== generation || !data.results.length) return;
  const head = state.q.slice(0, state.q.lastIndexOf(word));
  neighbours.replaceChildren(
    el("span", { text: `Words near “${word}”:` }),
    ...data.results.map(({ word: other }) => {
      const params = new URLSearchParams({ q: head + other });
      return el("a", { class: "chip", href: `?${params}`, text: other });
    }),
  );
  neighbours.hidden = false;
}

// Kind-of-thing picker: an ARIA combobox over the 1000 class names the model knows.
let options = [];
let active = -1;

function closeList() {
  classList.hidden = true;
  classInput.setAttribute("aria-expanded", "false");
  classInput.removeAttribute("aria-activedescendant");
  active = -1;
}

function highlight(index) {
  active = index;
  [...classList.children].forEach((li, i) => li.setAttribute("aria-selected", String(i === index)));
  if (index >= 0) {
    classInput.setAttribute("aria-activedescendant", classList.children[index].id);
    classList.children[index].scrollIntoView({ block: "nearest" });
  }
}

function choose(name) {
  classInput.value = name;
  closeList();
  refine.requestSubmit();
}

const lookupClasses = debounce(async () => {
  const text = classInput.value.trim();
  if (!text) return closeList();
  const { ok, data } = await request(`${API.classes}?q=${encodeURIComponent(text)}`);
  if (!ok || classInput.value.trim() !== text) return;
  options = data.results.slice(0, 12);
  classList.replaceChildren(...options.map(({ id, name }, i) =>
    el("li", { id: `class-option-${i}`, role: "option", "aria-selected": "false", "data-class-id": id, text: name })));
  if (!options.length) {
    classList.replaceChildren(el("li", { role: "option", "aria-disabled": "true", class: "muted", text: "No class matches" }));
  }
  classList.hidden = false;
  classInput.setAttribute("aria-expanded", "true");
  active = -1;
}, 150);

classInput.addEventListener("input", lookupClasses);
classInput.addEventListener("keydown", (event) => {
  const open = !classList.hidden && options.length;
  if (event.key === "ArrowDown" && open) {
    event.preventDefault();
    highlight((active + 1) % options.length);
  } else if (event.key === "ArrowUp" && open) {
    event.preventDefault();
    highlight((active - 1 + options.length) % options.length);
  } else if (event.key === "Enter" && open && active >= 0) {
    event.preventDefault();
    choose(options[active].name);
  } else if (event.key === "Escape") {
    closeList();
  }
});
classList.addEventListener("mousedown", (event) => event.preventDefault()); // keep focus in the input
classList.addEventListener("click", (event) => {
  const li = event.target.closest("li[data-class-id]");
  if (li) choose(li.textContent);
});
classInput.addEventListener("blur", () => setTimeout(closeList, 100));

refine.addEventListener("submit", (event) => {
  event.preventDefault();
  closeList();
  state.className = classInput.value.trim();
  writeUrl();
  run();
});

queryImage.addEventListener("click", (event) => {
  if (!event.target.closest("#query-image-clear")) return;
  state.image = null;
  state.photoId = "";
  queryImage.hidden = true;
  sessionStorage.removeItem(IMAGE_KEY);
  writeUrl();
  run();
});

document.addEventListener("search:image", ({ detail: { file } }) => {
  state.image = { blob: file, name: file.name || "pasted image", url: URL.createObjectURL(file) };
  state.photoId = "";
  state.q = ""; // a picture replaces the words: an image query takes no words
  if (headerInput) headerInput.value = "";
  const reader = new FileReader(); // keep it for a reload of this tab
  reader.onload = () => {
    try {
      sessionStorage.setItem(IMAGE_KEY, JSON.stringify({ name: state.image.name, dataUrl: reader.result }));
    } catch {
      sessionStorage.removeItem(IMAGE_KEY);
    }
  };
  reader.readAsDataURL(file);
  writeUrl();
  run();
});

// Words typed on this page narrow what is already asked (a photo, a kind of thing) instead of starting over; a
// query image takes no words, so words replace it.
headerInput?.form.addEventListener("submit", (event) => {
  const words = headerInput.value.trim();
  if (!words) return; // the search bar's own handler keeps focus
  event.preventDefault();
  if (words !== state.q) state.exact = false;
  state.q = words;
  if (state.image) {
    state.image = null;
    sessionStorage.removeItem(IMAGE_KEY);
  }
  state.like = "";
  state.unlike = "";
  writeUrl();
  run();
});

foldToggle.addEventListener("click", () => {
  unfolded = true;
  fold(false);
  results.querySelectorAll('.card[data-match="weak"] .card-link')[keptOpen]?.focus();
});

moreResults.addEventListener("click", () => {
  K = Math.min(MAX_RESULTS, K + PAGE);
  run();
});

// "Tag these results": a half-right word search becomes training data in two clicks.
tagResults.addEventListener("click", () => {
  selection.selectAll();
  document.getElementById("selection-tag-name").focus();
});

window.addEventListener("popstate", () => {
  if (queryKey() === searched) return; // only the viewer opened or closed
  readUrl();
  run();
});

readUrl();
run();
