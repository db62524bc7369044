// Reloads the whole page. Kept in its own module so tests can mock it (jsdom
// cannot navigate).
export function reloadPage(): void {
  window.location.reload();
}
