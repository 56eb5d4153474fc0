// Service worker: keeps the app shell (bundle, styles, icons) for fast starts and shows an
// offline page when there is no connection. Pages and API calls always go to the network:
// they carry the user's data and calls need a live connection anyway.
// The server fills in the bundle's file names and version (server/src/web/bundle.rs): a release
// names its files by their content's hash, so a new release is a new worker with a new cache.
const VERSION = "softphone-__BUNDLE_VERSION__";
const SHELL = [
  "/offline.html",
  __BUNDLE_SHELL__,
  "/manifest.webmanifest",
  "/icons/icon-192.png",
];
// `name.<22-character hash>.ext`: the file never changes under its name.
const HASHED = /\.(?!_{22}\.)[A-Za-z0-9_-]{22}\./;

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(VERSION).then((cache) =>
      // One missing file must not stop the worker from installing.
      Promise.all(SHELL.map((url) => cache.add(url).catch(() => undefined)))
    ).then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== VERSION).map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;

  if (request.mode === "navigate") {
    event.respondWith(fetch(request).catch(() => caches.match("/offline.html")));
    return;
  }
  if (url.pathname.startsWith("/pkg/") && HASHED.test(url.pathname)) {
    // A hashed file: from the cache when there, else fetched once and kept.
    event.respondWith(
      caches.match(request).then((hit) => hit || fetch(request).then((response) => {
        if (response.ok) {
          const copy = response.clone();
          caches.open(VERSION).then((cache) => cache.put(request, copy));
        }
        return response;
      }))
    );
    return;
  }
  if (url.pathname.startsWith("/pkg/") || url.pathname.startsWith("/icons/")) {
    // Network first so a new build is picked up; the cache serves when offline.
    event.respondWith(
      fetch(request)
        .then((response) => {
          if (response.ok) {
            const copy = response.clone();
            caches.open(VERSION).then((cache) => cache.put(request, copy));
          }
          return response;
        })
        .catch(() => caches.match(request))
    );
  }
});
