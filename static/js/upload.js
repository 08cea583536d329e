// Upload with progress. A selection or drop is sent as batches of up to BATCH_FILES files, one multipart
// request each, one after another; a file's progress is read off its request's byte count, since the
// files of a request are sent in order.
import { API, PAGES, csrfToken, el, errorMessage, formatBytes, pollPhotos, setBadge } from "./api.js";

document.documentElement.classList.add("js");

const BATCH_FILES = 32; // also the model's batch size; the server accepts more per request
const form = document.getElementById("upload-form");
const input = form.querySelector(".file-input");
const dropzone = document.getElementById("dropzone");
const section = document.getElementById("uploads");
const batches = document.getElementById("upload-batches");
const photoUrl = PAGES.photo;
const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;
let queue = Promise.resolve();

function upload(files) {
  if (!files.length) return;
  section.hidden = false;
  for (let start = 0; start < files.length; start += BATCH_FILES) {
    const batch = new Batch(files.slice(start, start + BATCH_FILES));
    queue = queue.then(() => batch.send());
  }
}

/** One row per file: preview, name, size, progress, then the outcome. */
class Entry {
  constructor(file) {
    this.file = file;
    const preview = file.type.startsWith("image/")
      ? el("img", { class: "upload-thumb", src: URL.createObjectURL(file), alt: "" })
      : el("span", { class: "upload-thumb", "aria-hidden": "true" });
    this.bar = el("progress", { max: "1", value: "0", "aria-label": `Upload progress of ${file.name}` });
    this.outcome = el("span", { class: "upload-outcome", text: "Waiting…" });
    this.item = el("li", { class: "upload-item", "data-outcome": "uploading" },
      preview,
      el("div", {},
        el("div", { class: "upload-name", title: file.name, text: file.name }),
        el("div", { class: "upload-size", text: formatBytes(file.size) }),
        this.bar),
      this.outcome);
  }

  get waiting() {
    return this.item.dataset.outcome === "uploading";
  }

  progress(fraction) {
    this.bar.value = fraction;
    if (fraction > 0 && this.waiting) this.outcome.textContent = fraction < 1 ? "Uploading…" : "Sent";
  }

  settle(kind, ...nodes) {
    this.item.dataset.outcome = kind;
    this.bar.remove();
    this.outcome.replaceChildren(...nodes);
  }

  stored(photo) {
    this.item.dataset.photoId = photo.id;
    this.status = el("span", { "data-role": "status" });
    this.settle("stored", el("span", { class: "badge badge-stored", text: "Stored" }), this.status,
      el("a", { href: photoUrl(photo.id), text: "View" }));
    this.update(photo);
  }

  update(photo) {
    this.item.dataset.status = photo.status;
    setBadge(this.status, photo.status);
    if (photo.status === "ready") this.status.textContent = "Searchable";
    if (photo.status === "failed") this.outcome.append(el("span", { class: "reason", text: photo.error }));
  }
}

class Batch {
  constructor(files) {
    this.entries = files.map((file) => new Entry(file));
    this.summary = el("strong", { text: `${plural(files.length, "photo")} waiting…` });
    this.percent = el("span", { class: "muted" });
    this.overall = el("progress", { max: "1", value: "0", "aria-label": "Upload progress" });
    this.next = el("p", { class: "upload-next", hidden: true },
      el("a", { class: "btn btn-primary btn-small", href: PAGES.home, text: "Go to gallery" }),
      el("a", { class: "btn btn-small", href: PAGES.search, text: "Try a search" }));
    batches.append(el("div", { class: "upload-batch" },
      el("div", { class: "batch-head" }, this.summary, this.percent),
      this.overall,
      el("ul", { class: "upload-list js-list" }, ...this.entries.map((entry) => entry.item)),
      this.next));
  }

  send() {
    this.summary.textContent = `Uploading ${plural(this.entries.length, "photo")}…`;
    const body = new FormData();
    for (const { file } of this.entries) body.append("files", file, file.name);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", API.photos);
    xhr.setRequestHeader("X-CSRFToken", csrfToken());
    xhr.setRequestHeader("Accept", "application/json");
    xhr.responseType = "json";
    xhr.upload.addEventListener("progress", (event) => event.lengthComputable && this.progress(event.loaded / event.total));
    xhr.upload.addEventListener("load", () => {
      this.progress(1);
      this.summary.textContent = "Checking photos…";
    });
    return new Promise((resolve) => {
      xhr.addEventListener("load", () => resolve(this.finish(xhr.status, xhr.response)));
      xhr.addEventListener("error", () => resolve(this.finish(0, null)));
      xhr.send(body);
    });
  }

  progress(fraction) {
    this.overall.value = fraction;
    this.percent.textContent = `${Math.round(fraction * 100)}%`;
    const total = this.entries.reduce((sum, { file }) => sum + file.size, 0);
    let start = 0;
    for (const entry of this.entries) {
      const size = entry.file.size;
      entry.progress(size ? Math.min(1, Math.max(0, (fraction * total - start) / size)) : 1);
      start += size;
    }
  }

  finish(status, data) {
    this.overall.remove();
    if (!data || !Array.isArray(data.created)) {
      const message = status === 413 ? "The upload is too large for the server." : errorMessage(status, data);
      for (const entry of this.entries) {
        entry.settle("rejected", el("span", { class: "badge badge-failed", text: "Failed" }),
          el("span", { class: "reason", text: message }));
      }
      this.summary.textContent = "Upload failed";
      this.percent.textContent = "";
      return;
    }
    // The API answers in three lists, each in upload order; match them back to the files by name.
    const byName = new Map();
    for (const entry of this.entries) byName.set(entry.file.name, [...(byName.get(entry.file.name) || []), entry]);
    const take = (name) => (byName.get(name) || []).shift();
    const stored = new Map();
    for (const photo of data.created) {
      const entry = take(photo.original_name);
      if (!entry) continue;
      entry.stored(photo);
      stored.set(String(photo.id), entry);
    }
    for (const dup of data.duplicates) {
      take(dup.name)?.settle("duplicate", el("span", { class: "badge badge-duplicate", text: "Duplicate" }),
        el("span", { text: "already in your gallery —" }), el("a", { href: photoUrl(dup.photo_id), text: "open it" }));
    }
    for (const rejected of data.rejected) {
      take(rejected.name)?.settle("rejected", el("span", { class: "badge badge-failed", text: "Rejected" }),
        el("span", { class: "reason", text: rejected.error }));
    }
    for (const entry of this.entries.filter((e) => e.waiting)) {
      entry.settle("rejected", el("span", { class: "reason", text: "The server did not report on this file." }));
    }
    const counts = [`${data.created.length} stored`];
    if (data.duplicates.length) counts.push(plural(data.duplicates.length, "duplicate"));
    if (data.rejected.length) counts.push(`${data.rejected.length} rejected`);
    this.summary.textContent = counts.join(" · ");
    this.next.hidden = !(data.created.length || data.duplicates.length); // what to do once the photos are in
    this.watch(stored);
  }

  /** Follow the stored photos until each is searchable or has failed. */
  watch(stored) {
    let remaining = stored.size;
    this.percent.textContent = remaining ? "Processing…" : "";
    pollPhotos([...stored.keys()], {
      onUpdate: (photo) => {
        stored.get(String(photo.id)).update(photo);
        if (photo.status === "ready" || photo.status === "failed") {
          remaining -= 1;
          if (!remaining) this.percent.textContent = "Done — all processed";
        }
      },
      onGone: (id) => stored.get(id).outcome.replaceChildren(el("span", { class: "muted", text: "Deleted" })),
    });
  }
}

input.addEventListener("change", () => {
  upload([...input.files]);
  input.value = "";
});
form.addEventListener("submit", (event) => {
  event.preventDefault();
  upload([...input.files]);
  input.value = "";
});
for (const type of ["dragenter", "dragover"]) {
  dropzone.addEventListener(type, (event) => {
    event.preventDefault();
    dropzone.classList.add("dragover");
  });
}
dropzone.addEventListener("dragleave", (event) => {
  if (!dropzone.contains(event.relatedTarget)) dropzone.classList.remove("dragover");
});
dropzone.addEventListener("drop", (event) => {
  event.preventDefault();
  dropzone.classList.remove("dragover");
  upload([...event.dataTransfer.files]);
});
// A file dropped beside the drop zone would otherwise make the browser navigate away to it.
window.addEventListener("dragover", (event) => event.preventDefault());
window.addEventListener("drop", (event) => event.preventDefault());
