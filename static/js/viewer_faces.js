// Faces in the lightbox viewer (static/js/viewer.js): a box over each face of the photo shown, named, and
// "Who is this?" on the box itself. Boxes hide while the photo is zoomed (the viewer moves the image then).
import { API, el, errorMessage, request } from "./api.js";

const dialog = document.getElementById("viewer");
const stage = document.getElementById("viewer-stage");
const image = document.getElementById("viewer-image");
const withId = (template, id) => template.replace("/0/", `/${id}/`);
let shown = null; // the photo id whose faces are drawn
let layer = null;

function addStylesheet() {
  const href = new URL("../css/people.css", import.meta.url).href;
  if (![...document.styleSheets].some((sheet) => sheet.href === href)) {
    document.head.append(el("link", { rel: "stylesheet", href }));
  }
}

function place() {
  if (!layer) return;
  layer.hidden = stage.classList.contains("zoomed") || !image.complete || !image.naturalWidth;
  // Layout offsets, not the bounding box: they ignore the zoom transform while it eases back.
  Object.assign(layer.style, {
    position: "absolute",
    left: `${image.offsetLeft}px`,
    top: `${image.offsetTop}px`,
    width: `${image.offsetWidth}px`,
    height: `${image.offsetHeight}px`,
    pointerEvents: "none",
  });
}

function whoIsThis(face, button, label) {
  layer.querySelector(".viewer-face-form")?.remove();
  const input = el("input", { type: "text", maxLength: 100, placeholder: "Who is this?", autocomplete: "off", "aria-label": "Who is this?" });
  const status = el("span", { class: "visually-hidden", role: "status" });
  const form = el("form", { class: "viewer-face-form" }, input,
    el("button", { type: "submit", class: "btn btn-small", text: "Save" }),
    el("button", { type: "button", class: "btn btn-small", "data-role": "nobody", text: "Not someone I know" }), status);
  const [x, y, , h] = face.box;
  Object.assign(form.style, { position: "absolute", left: `${x * 100}%`, top: `${(y + h) * 100}%`, pointerEvents: "auto", zIndex: 2 });
  const done = async (url, json, text) => {
    const { ok, status: code, data } = await request(url, { method: "POST", json });
    if (!ok) {
      status.textContent = errorMessage(code, data);
      input.setCustomValidity(status.textContent);
      input.reportValidity();
      return;
    }
    label.textContent = text;
    button.title = text;
    form.remove();
    button.focus();
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (input.value.trim()) done(withId(API.faceName, face.id), { name: input.value }, input.value.trim());
  });
  form.querySelector('[data-role="nobody"]').addEventListener("click", () =>
    done(withId(API.faceAssign, face.id), { person: null }, "Not someone I know"));
  form.addEventListener("pointerdown", (event) => event.stopPropagation()); // no pan or swipe from the form
  form.addEventListener("keydown", (event) => event.stopPropagation()); // arrows move the caret, not the photo
  layer.append(form);
  input.focus();
}

async function draw(id) {
  shown = id;
  layer?.remove();
  layer = null;
  const [photo, people] = await Promise.all([request(API.photo(id)), request(API.people)]);
  if (shown !== id || !photo.ok || !people.ok || !(photo.data.faces || []).length) return;
  addStylesheet();
  const names = new Map(people.data.results.map((person) => [person.id, person.name]));
  layer = el("div", { class: "viewer-faces" });
  for (const face of photo.data.faces) {
    const [x, y, w, h] = face.box;
    const text = names.get(face.person) || "Who is this?";
    const label = el("span", { class: "face-label", text });
    const button = el("button", { type: "button", class: "face-box", title: text, "data-face-id": face.id }, label);
    Object.assign(button.style, { left: `${x * 100}%`, top: `${y * 100}%`, width: `${w * 100}%`, height: `${h * 100}%`, pointerEvents: "auto" });
    button.addEventListener("pointerdown", (event) => event.stopPropagation());
    button.addEventListener("dblclick", (event) => event.stopPropagation());
    button.addEventListener("click", () => whoIsThis(face, button, label));
    layer.append(button);
  }
  stage.append(layer);
  place();
}

if (dialog && stage && image && API.people) {
  document.addEventListener("viewer:show", (event) => draw(String(event.detail.id)));
  document.addEventListener("viewer:close", () => {
    shown = null;
    layer?.remove();
    layer = null;
  });
  image.addEventListener("load", place);
  window.addEventListener("resize", place);
  new MutationObserver(place).observe(stage, { attributes: true, attributeFilter: ["class"] });
  // The page's script may have opened the viewer (?view=ID) before this module ran.
  const opened = new URLSearchParams(window.location.search).get("view");
  if (dialog.open && opened) draw(opened);
}
