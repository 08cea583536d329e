// Faces on the photo page: a box over each face found, and a "People in this photo" panel where the owner says
// who each one is ("Who is this?"), or that it is nobody they know. Tapping a box goes to that face's row, so it
// works the same with a finger on a phone.
import { API, el, errorMessage, request } from "./api.js";

const root = document.getElementById("photo");
const stage = root?.querySelector(".photo-stage");
const image = stage?.querySelector("img");
const withId = (template, id) => template.replace("/0/", `/${id}/`);

function addStylesheet() {
  const href = new URL("../css/people.css", import.meta.url).href;
  if (![...document.styleSheets].some((sheet) => sheet.href === href)) {
    document.head.append(el("link", { rel: "stylesheet", href }));
  }
}

async function load() {
  const [photo, people] = await Promise.all([
    request(API.photo(root.dataset.photoId)),
    request(API.people),
  ]);
  if (!photo.ok || !people.ok) return;
  const faces = photo.data.faces || [];
  const persons = new Map(people.data.results.map((person) => [person.id, person]));
  addStylesheet();
  drawBoxes(faces, persons);
  drawPanel(faces, persons);
}

function drawBoxes(faces, persons) {
  stage.querySelector(".faces-boxes")?.remove();
  if (!faces.length) return;
  const layer = el("div", { class: "faces-boxes", "aria-hidden": "true" });
  layer.style.position = "absolute";
  layer.style.pointerEvents = "none";
  stage.style.position = "relative";
  const place = () => {
    layer.style.left = `${image.offsetLeft}px`;
    layer.style.top = `${image.offsetTop}px`;
    layer.style.width = `${image.offsetWidth}px`;
    layer.style.height = `${image.offsetHeight}px`;
  };
  for (const face of faces) {
    const [x, y, w, h] = face.box;
    const name = persons.get(face.person)?.name;
    const box = el("button", { type: "button", class: "face-box", title: name || "Who is this?", "data-face-id": face.id, tabIndex: -1 },
      el("span", { class: "face-label", text: name || "Who is this?" }));
    Object.assign(box.style, { left: `${x * 100}%`, top: `${y * 100}%`, width: `${w * 100}%`, height: `${h * 100}%`, pointerEvents: "auto" });
    box.addEventListener("click", () => {
      const row = document.querySelector(`.face-row[data-face-id="${face.id}"]`);
      document.querySelectorAll(".face-row.is-active").forEach((r) => r.classList.remove("is-active"));
      row?.classList.add("is-active");
      row?.scrollIntoView({ block: "nearest", behavior: "smooth" });
      row?.querySelector("input")?.focus();
    });
    layer.append(box);
  }
  stage.append(layer);
  place();
  image.addEventListener("load", place);
  window.addEventListener("resize", place);
}

function drawPanel(faces, persons) {
  document.getElementById("faces-panel")?.remove();
  if (!faces.length) return;
  const names = el("datalist", { id: "person-names" },
    ...[...persons.values()].filter((p) => p.name).map((p) => el("option", { value: p.name })));
  const status = el("p", { class: "muted", role: "status", id: "faces-status" });
  const rows = faces.map((face) => faceRow(face, persons, status));
  const panel = el("section", { class: "panel face-panel", id: "faces-panel", "aria-labelledby": "faces-title" },
    el("h2", { id: "faces-title", text: "People in this photo" }), names, el("ul", {}, ...rows), status);
  document.getElementById("tags-panel").after(panel);
}

function faceRow(face, persons, status) {
  const person = persons.get(face.person);
  const label = person?.name
    ? el("a", { href: withId(API.personPage, person.id), text: person.name })
    : el("span", { class: "muted", text: face.person ? "Unnamed" : "Not named" });
  const input = el("input", { type: "text", name: "name", maxLength: 100, placeholder: "Who is this?", autocomplete: "off",
    "aria-label": "Who is this?", required: true });
  input.setAttribute("list", "person-names");
  const form = el("form", {}, input, el("button", { type: "submit", class: "btn btn-small", text: "Save" }),
    el("button", { type: "button", class: "btn btn-small", "data-role": "nobody", text: "Not someone I know" }));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const { ok, status: code, data } = await request(withId(API.faceName, face.id), { method: "POST", json: { name: input.value } });
    status.textContent = ok ? `Saved: ${input.value.trim()}.` : errorMessage(code, data);
    if (ok) load();
  });
  form.querySelector('[data-role="nobody"]').addEventListener("click", async () => {
    const { ok, status: code, data } = await request(withId(API.faceAssign, face.id), { method: "POST", json: { person: null } });
    status.textContent = ok ? "Saved: not someone you know." : errorMessage(code, data);
    if (ok) load();
  });
  return el("li", { class: "face-row", "data-face-id": face.id },
    el("img", { src: withId(API.faceCrop, face.id), alt: "" }), label, form);
}

if (root && stage && image && root.dataset.status === "ready") load();
