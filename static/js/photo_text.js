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
