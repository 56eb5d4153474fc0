// First-load benchmark (scripts/bench/first-load.sh runs it against a packaged release server).
// For each network/CPU profile: RUNS cold loads of the keypad for a signed-in agent, each in a new
// browser context (empty cache, no service worker), timed from navigation start to the moment the
// bundle has hydrated the page (`window.__softphone_hydrated`, set by frontend/src/lib.rs), then
// checked interactive (a key press types a digit); and the bytes transferred (CDP encoded
// lengths: headers and bodies as sent, compressed). Then one warm visit (same context, reload)
// to show what the caches save. Prints a table; exits 1 only if a load fails.
//
//   node scripts/bench/first-load.mjs <base URL> [runs]
import { chromium } from "@playwright/test";

const base = process.argv[2];
const runs = Number(process.argv[3] ?? 5);
const PASSWORD = "Corr3ct-horse!";

// Chrome DevTools' "Slow 4G" preset (front_end/core/sdk/NetworkManager.ts): 1.6 Mbit/s down,
// 750 kbit/s up, each with the preset's 0.9 factor; 150 ms × 3.75 latency. CPU 4× slower.
const profiles = [
  { name: "unthrottled (localhost)", network: null, cpu: 1 },
  {
    name: "Slow 4G + 4x CPU slowdown",
    network: { latency: 150 * 3.75, downloadThroughput: (1.6e6 / 8) * 0.9, uploadThroughput: (750e3 / 8) * 0.9 },
    cpu: 4,
  },
];

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});

// One agent, signed up through the page once (not measured); its session cookies reused.
const setup = await browser.newContext({ baseURL: base });
const page = await setup.newPage();
await page.goto("/signup");
await page.waitForFunction(() => window.__softphone_hydrated === true);
await page.getByLabel("Email").fill(`bench-${Date.now().toString(36)}@first-load.example.com`);
await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
await page.getByLabel("Confirm password").fill(PASSWORD);
await page.getByRole("button", { name: "Create account" }).click();
await page.waitForURL(/\/$/);
const cookies = await setup.cookies();
await setup.close();

async function load(context, profile, reload) {
  const page = context.pages()[0] ?? (await context.newPage());
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  if (profile.network) {
    await cdp.send("Network.emulateNetworkConditions", { offline: false, ...profile.network });
  }
  await cdp.send("Emulation.setCPUThrottlingRate", { rate: profile.cpu });
  const responses = new Map();
  let bytes = 0;
  cdp.on("Network.responseReceived", (e) => responses.set(e.requestId, e.response));
  cdp.on("Network.loadingFinished", (e) => {
    bytes += e.encodedDataLength;
  });
  // The exact moment the bundle says it has hydrated.
  await page.addInitScript(() => {
    let value;
    Object.defineProperty(window, "__softphone_hydrated", {
      configurable: true,
      get: () => value,
      set: (v) => {
        value = v;
        window.__hydrated_at = performance.now();
      },
    });
  });
  if (reload) await page.reload();
  else await page.goto(`${base}/`);
  await page.waitForFunction(() => window.__hydrated_at !== undefined, null, { timeout: 120_000 });
  const hydratedAt = await page.evaluate(() => window.__hydrated_at);
  // Interactive: a key of the dial pad types into the number field.
  await page.locator('button.dial-key[data-key="6"]').click();
  await page.waitForFunction(() => document.getElementById("dial-input")?.value.includes("6"));
  const files = [...responses.values()].filter((r) => r.url.includes("/pkg/"));
  const encodings = [...new Set(files.map((r) => r.headers["content-encoding"] ?? r.headers["Content-Encoding"] ?? "identity"))];
  const fromCache = files.filter((r) => r.fromDiskCache || r.fromServiceWorker || r.fromPrefetchCache).length;
  await cdp.detach();
  return { ms: hydratedAt, bytes, files: files.length, encodings, fromCache };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`first load of the keypad (signed in), ${runs} cold runs per profile; ${new Date().toISOString()}`);
console.log("| profile | cold: load → hydrated ms, median (runs) | cold: bytes transferred | warm reload: ms, bytes | bundle encodings |");
console.log("| --- | --- | --- | --- | --- |");
for (const profile of profiles) {
  const cold = [];
  for (let i = 0; i < runs; i++) {
    const context = await browser.newContext({ baseURL: base });
    await context.addCookies(cookies);
    cold.push(await load(context, profile, false));
    await context.close();
  }
  // Warm: the same context a second time (HTTP cache, service worker registered by the first).
  const context = await browser.newContext({ baseURL: base });
  await context.addCookies(cookies);
  await load(context, profile, false);
  await new Promise((r) => setTimeout(r, 1000));
  const warm = await load(context, profile, true);
  await context.close();
  const ms = cold.map((r) => r.ms);
  console.log(
    `| ${profile.name} | ${median(ms).toFixed(0)} (${ms.map((m) => m.toFixed(0)).join(", ")}) | ` +
      `${median(cold.map((r) => r.bytes))} | ${warm.ms.toFixed(0)} ms, ${warm.bytes} B (${warm.fromCache} of ${warm.files} bundle files from cache) | ` +
      `${cold[0].encodings.join(", ")} |`,
  );
}
await browser.close();
