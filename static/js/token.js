// API token page: copy a just-issued token to the clipboard, and confirm before the live token is replaced or revoked.
const field = document.getElementById("api-token");
const note = document.getElementById("token-copied");

document.getElementById("token-copy")?.addEventListener("click", async () => {
  field.select();
  try {
    await navigator.clipboard.writeText(field.value);
    note.textContent = "Copied to the clipboard.";
  } catch {
    note.textContent = "Selected: press Ctrl+C (⌘C) to copy.";
  }
});

const confirmations = {
  "token-regenerate": "Regenerate the token? Scripts using the old one will stop working.",
  "token-revoke": "Revoke the token? Scripts using it will stop working.",
};
for (const [id, question] of Object.entries(confirmations)) {
  document.getElementById(id)?.addEventListener("submit", (event) => {
    if (!window.confirm(question)) event.preventDefault();
  });
}
