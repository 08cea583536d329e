// The viewer of a share link's public page: a card opens its photo (the original if the link allows downloads,
// else the preview), arrow keys and swipes step through the album, Esc closes. Without JavaScript a card's link
// opens the image itself.
const grid = document.getElementById("shared-grid");
const dialog = document.getElementById("shared-viewer");

if (grid && dialog) {
  const image = dialog.querySelector("#shared-viewer-image");
  const title = dialog.querySelector("#shared-viewer-title");
  const position = dialog.querySelector("#shared-viewer-position");
  const download = dialog.querySelector("#shared-download");
  const cards = () => [...grid.querySelectorAll("[data-photo-id]")];
  let index = -1;
  let touchX = null;

  const show = (i) => {
    const all = cards();
    index = (i + all.length) % all.length;
    const card = all[index];
    image.src = card.dataset.full;
    image.alt = card.dataset.name;
    title.textContent = card.dataset.name;
    position.textContent = `${index + 1} / ${all.length}`;
    if (download) download.href = card.dataset.full;
    if (!dialog.open) dialog.showModal();
  };

  grid.addEventListener("click", (event) => {
    const link = event.target.closest(".card-link");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button) return;
    event.preventDefault();
    show(cards().indexOf(link.closest("[data-photo-id]")));
  });
  dialog.addEventListener("click", (event) => {
    const action = event.target.closest("[data-viewer]")?.dataset.viewer;
    if (action === "close") dialog.close();
    else if (action === "prev") show(index - 1);
    else if (action === "next") show(index + 1);
  });
  dialog.addEventListener("keydown", (event) => {
    if (event.key === "ArrowLeft") show(index - 1);
    else if (event.key === "ArrowRight") show(index + 1);
  });
  dialog.addEventListener("touchstart", (event) => { touchX = event.touches[0].clientX; }, { passive: true });
  dialog.addEventListener("touchend", (event) => {
    if (touchX === null) return;
    const dx = event.changedTouches[0].clientX - touchX;
    touchX = null;
    if (Math.abs(dx) > 50) show(index + (dx < 0 ? 1 : -1));
  });
}
