// Duplicates page: "keep best, delete the rest" asks once, in a dialog, then posts the confirmed form.
const dialog = document.getElementById("keep-best-dialog");
let pending = null;

for (const form of document.querySelectorAll(".keep-best-form")) {
  form.addEventListener("submit", (event) => {
    if (form.elements.confirm) return; // already confirmed
    event.preventDefault();
    pending = form;
    const n = Number(form.dataset.count);
    const groups = Number(form.dataset.groups);
    document.getElementById("keep-best-text").textContent =
      `${n} photo${n === 1 ? "" : "s"} will be deleted for good; the best copy of ` +
      (groups === 1 ? "the group stays." : `each of the ${groups} groups stays.`);
    dialog.showModal();
    dialog.querySelector("[data-close]").focus();
  });
}

dialog?.querySelector("[data-close]").addEventListener("click", () => dialog.close());
dialog?.querySelector("[data-confirm]").addEventListener("click", () => {
  const confirm = document.createElement("input");
  Object.assign(confirm, { type: "hidden", name: "confirm", value: "1" });
  pending.append(confirm);
  dialog.close();
  pending.requestSubmit();
});
