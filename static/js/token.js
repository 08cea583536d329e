// API token page: copy to the clipboard, and confirm before the old token is revoked.
const field = document.getElementById("api-token");
const note = document.getElementById("token-copied");

document.getElementById("token-copy").addEventListener("click", async () => {
  field.select();
  try {
    await navigator.clipboard.writeText(field.value);
    note.textContent = "Copied to the clipboard.";
  } catch {
    note.textContent = "Selected: press Ctrl+C (⌘C) to copy.";
  }
});

document.getElementById("token-regenerate").addEventListener("submit", (event) => {
  if (!window.confirm("Regenerate the token? Scripts using the old one will stop working.")) event.preventDefault();
});
