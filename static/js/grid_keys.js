// One tab stop for a grid of photos: Tab reaches the grid once (the last photo focused, else the first), arrow
// keys move between photos by what is on screen (up and down go to the nearest photo in the row above or
// below, rows being justified), Home/End go to the ends, Space selects. A roving tabindex on the card links.
export class GridKeys {
  constructor(grid, { onToggle } = {}) {
    this.grid = grid;
    this.onToggle = onToggle;
    this.refresh();
    grid.addEventListener("keydown", (event) => this.onKey(event));
    grid.addEventListener("focusin", (event) => {
      const link = event.target.closest(".card-link");
      if (link) this.rove(link);
    });
  }

  links() {
    return [...this.grid.querySelectorAll(".card:not([hidden]) .card-link")];
  }

  /** Call after cards are added or removed: exactly one link stays reachable by Tab. */
  refresh() {
    const links = this.links();
    const current = links.find((link) => link.tabIndex === 0) || links[0];
    for (const link of links) link.tabIndex = link === current ? 0 : -1;
  }

  rove(link) {
    for (const other of this.grid.querySelectorAll('.card-link[tabindex="0"]')) if (other !== link) other.tabIndex = -1;
    link.tabIndex = 0;
  }

  move(link) {
    if (!link) return;
    this.rove(link);
    link.focus();
    link.scrollIntoView({ block: "nearest" });
  }

  onKey(event) {
    const link = event.target.closest(".card-link");
    if (!link || event.altKey || event.ctrlKey || event.metaKey) return;
    const links = this.links();
    const index = links.indexOf(link);
    if (event.key === "ArrowRight") this.move(links[index + 1]);
    else if (event.key === "ArrowLeft") this.move(links[index - 1]);
    else if (event.key === "ArrowDown") this.move(this.vertical(links, link, 1));
    else if (event.key === "ArrowUp") this.move(this.vertical(links, link, -1));
    else if (event.key === "Home") this.move(links[0]);
    else if (event.key === "End") this.move(links[links.length - 1]);
    else if (event.key === " " && this.onToggle) this.onToggle(link.closest(".card"));
    else return;
    event.preventDefault();
  }

  /** The photo in the next row (direction 1) or the previous one (-1) whose centre is closest horizontally. */
  vertical(links, link, direction) {
    const from = link.getBoundingClientRect();
    const centre = from.left + from.width / 2;
    let best = null;
    let bestRow = null;
    let bestDistance = Infinity;
    for (const other of direction > 0 ? links.slice(links.indexOf(link) + 1) : links.slice(0, links.indexOf(link)).reverse()) {
      const rect = other.getBoundingClientRect();
      const inNextRow = direction > 0 ? rect.top >= from.bottom - 1 : rect.bottom <= from.top + 1;
      if (!inNextRow) continue;
      const row = Math.round(rect.top);
      if (bestRow !== null && row !== bestRow) break; // only the adjacent row
      bestRow = row;
      const distance = Math.abs(rect.left + rect.width / 2 - centre);
      if (distance < bestDistance) [best, bestDistance] = [other, distance];
    }
    return best;
  }
}
