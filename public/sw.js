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
// `name.<22-character hash>.ext`, or a lazy module's `name.<8-character hash>.wasm`
// (scripts/wasm-split-loader.py): the file never changes under its name.
const HASHED = /\.(?!_{22}\.)(?:[A-Za-z0-9_-]{22}\.|[A-Za-z0-9_-]{8}\.wasm$)/;

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

// Missed-call notifications (Web Push; README.md, "Push notifications"). The server sends,
// encrypted, {type: "missed_call", call_id, from, contact_name, to, at} or {type: "test", at}
// (app/src/domain/push.rs, PushPayload). The text is in the browser's language.
const PUSH_TEXT = {
  en: {
    missedFrom: "Missed call from {who}",
    missedWithheld: "Missed call from a withheld number",
    callBack: "Call back",
    open: "Open",
    test: "Softphone",
    testBody: "Test notification: missed calls will show like this.",
  },
  es: {
    missedFrom: "Llamada perdida de {who}",
    missedWithheld: "Llamada perdida de un número oculto",
    callBack: "Devolver llamada",
    open: "Abrir",
    test: "Softphone",
    testBody: "Notificación de prueba: las llamadas perdidas se verán así.",
  },
  zh: {
    missedFrom: "来自 {who} 的未接来电",
    missedWithheld: "来自隐藏号码的未接来电",
    callBack: "回拨",
    open: "打开",
    test: "软电话",
    testBody: "测试通知：未接来电将以这种方式显示。",
  },
};

function pushText() {
  const lang = String(self.navigator.language || "en").slice(0, 2).toLowerCase();
  return PUSH_TEXT[lang] || PUSH_TEXT.en;
}

// The keypad with the number filled in (app/src/domain/numbers/format.rs, dial_href).
function dialHref(e164) {
  return "/?number=" + encodeURIComponent(e164);
}

// What a push shows: the title and the notification's options. Public for the end-to-end test.
self.describePush = function describePush(data) {
  const text = pushText();
  if (data && data.type === "missed_call" && typeof data.call_id === "string") {
    const who = data.contact_name || data.from;
    const options = {
      body: data.contact_name && data.from ? data.from : "",
      tag: "missed-" + data.call_id,
      icon: "/icons/icon-192.png",
      badge: "/icons/icon-192.png",
      timestamp: typeof data.at === "number" ? data.at : Date.now(),
      data: {
        url: "/recents/" + encodeURIComponent(data.call_id),
        callBack: data.from ? dialHref(data.from) : null,
      },
      actions: data.from ? [{ action: "call-back", title: text.callBack }, { action: "open", title: text.open }] : [],
    };
    const title = who ? text.missedFrom.replace("{who}", who) : text.missedWithheld;
    return { title, options };
  }
  return {
    title: text.test,
    options: { body: text.testBody, tag: "test", icon: "/icons/icon-192.png", data: { url: "/settings" } },
  };
};

self.addEventListener("push", (event) => {
  let data = null;
  try {
    data = event.data ? event.data.json() : null;
  } catch (e) {
    data = null;
  }
  const shown = self.describePush(data);
  event.waitUntil(self.registration.showNotification(shown.title, shown.options));
});

// Where a click on a notification (or one of its actions) goes: the call, or the keypad with
// the number to call back.
self.notificationTarget = function notificationTarget(data, action) {
  const d = data || {};
  const path = action === "call-back" && d.callBack ? d.callBack : d.url || "/recents";
  return new URL(path, self.location.origin).href;
};

// Brings the app forward on `target`: an open window of ours is focused and taken there, else a
// new one opens. Public for the end-to-end test (no API clicks a notification).
self.openFromNotification = async function openFromNotification(data, action) {
  const target = self.notificationTarget(data, action);
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  const ours = windows.find((c) => new URL(c.url).origin === self.location.origin);
  if (ours) {
    // Focus is allowed only in a notification click; taking the window there matters more.
    try {
      await ours.focus();
    } catch (e) {}
    if ("navigate" in ours) return ours.navigate(target);
    return ours;
  }
  return self.clients.openWindow(target);
};

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil(self.openFromNotification(event.notification.data, event.action));
});
