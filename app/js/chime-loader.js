// Loads the Chime SDK bundle (public/chime/) on first use; `url` must be absolute, since a
// relative one resolves against this snippet's folder under /pkg/snippets/.
export function loadChime(url) {
  return import(url);
}
