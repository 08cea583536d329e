// The text read from a photo (the ocr app), with a "Copy text" button: in a panel on the photo page
// (#text-panel, data-photo-id) and in the viewer (#viewer-text, following viewer.js's viewer:show events). Text may arrive after the
// photo is ready (it is read in the background), so an empty panel simply stays hidden.
import { API, el, request } from "./api.js";

async function copy(text, note) {
  try {
    await navigator.clipboard.writeText(text);
    note.textContent = "Copied.";
  } catch {
    note.textContent = "Select the text and press Ctrl+C (⌘C) to copy.";
  }
}

async function show(panel, id) {
  panel.hidden = true;
  panel.dataset.wanted = id || "";
  if (!id) return;
  const { ok, data } = await request(API.photo(id));
  if (panel.dataset.wanted !== String(id)) return; // the viewer moved on to another photo meanwhile
  if (!ok || !data?.text || !data.text.content) return;
  const note = el("span", { class: "muted", role: "status" });
  const content = el("pre", { class: "photo-text-content", text: data.text.content });
  const button = el("button", { type: "button", class: "btn btn-small", "data-role": "copy-text", text: "Copy text" });
  button.addEventListener("click", () => copy(data.text.content, note));
  panel.replaceChildren(el("h2", { text: "Text in this photo" }), content, el("p", {}, button, " ", note));
  panel.hidden = false;
}

const page = document.getElementById("text-panel");
if (page) show(page, page.dataset.photoId);

const inViewer = document.getElementById("viewer-text");
if (inViewer) {
  document.addEventListener("viewer:show", (event) => show(inViewer, event.detail.id));
  document.addEventListener("viewer:close", () => show(inViewer, null));
}

// On search results: the words of the query found written in the photo, boxed over the viewer's image.
const query = new URLSearchParams(window.location.search).get("q");
const stage = document.getElementById("viewer-stage");
const image = document.getElementById("viewer-image");
if (query && stage && image && API.photoTextMatches) {
  const layer = el("div", { class: "text-matches", "aria-hidden": "true" });
  stage.append(layer);
  let boxes = [];
  let natural = null;

  const place = () => {
    layer.replaceChildren();
    if (!boxes.length || !natural || !image.complete || !image.naturalWidth) return;
    // The image is scaled to fit the stage; boxes are in the photo's own pixels.
    const shown = image.getBoundingClientRect();
    const at = stage.getBoundingClientRect();
    const scale = shown.width / natural.width;
    for (const { word, box: [x, y, w, h] } of boxes) {
      const mark = el("span", { class: "text-match", title: word, "data-word": word });
      mark.style.left = `${shown.left - at.left + x * scale}px`;
      mark.style.top = `${shown.top - at.top + y * scale}px`;
      mark.style.width = `${w * scale}px`;
      mark.style.height = `${h * scale}px`;
      layer.append(mark);
    }
  };

  document.addEventListener("viewer:show", async (event) => {
    const id = event.detail.id;
    boxes = [];
    layer.dataset.photoId = id;
    place();
    const url = `${API.photoTextMatches.replace("/0/", `/${id}/`)}?q=${encodeURIComponent(query)}`;
    const [matches, detail] = await Promise.all([request(url), request(API.photo(id))]);
    if (layer.dataset.photoId !== String(id) || !matches.ok || !detail.ok) return;
    boxes = matches.data.matches;
    natural = { width: detail.data.width, height: detail.data.height };
    place();
  });
  image.addEventListener("load", place);
  window.addEventListener("resize", place);
  document.addEventListener("viewer:close", () => { boxes = []; place(); });
}
