import { expect, test } from "@playwright/test";
import { signUp } from "./helpers";

test("installable: manifest with icons, service worker registered, offline page", async ({ page, request }) => {
  const manifest = await (await request.get("/manifest.webmanifest")).json();
  expect(manifest.display).toBe("standalone");
  expect(manifest.start_url).toBe("/");
  const sizes = manifest.icons.map((i: any) => `${i.sizes}:${i.purpose}`);
  expect(sizes).toEqual(expect.arrayContaining(["192x192:any", "512x512:any", "512x512:maskable"]));
  for (const icon of manifest.icons) {
    const response = await request.get(icon.src);
    expect(response.status()).toBe(200);
    expect(response.headers()["content-type"]).toContain("image/png");
  }
  const offline = await request.get("/offline.html");
  expect(await offline.text()).toContain("Calls need an internet connection");

  await signUp(page);
  await expect(page.locator('link[rel="manifest"]')).toHaveAttribute("href", "/manifest.webmanifest");
  await expect(page.locator('meta[name="viewport"]')).toHaveAttribute("content", /width=device-width/);
  await expect(page.locator('link[rel="apple-touch-icon"]')).toHaveCount(1);
  const scope = await page.evaluate(async () => (await navigator.serviceWorker.ready).scope);
  expect(scope).toMatch(/\/$/);
});

test("health endpoints and JWKS are public", async ({ request, baseURL }) => {
  expect((await request.get("/healthz")).status()).toBe(200);
  const ready = await request.get("/readyz");
  expect(ready.status()).toBe(200);
  // The built-in PSTN simulator answers the gateway's OPTIONS probe.
  const readiness = await ready.json();
  expect(readiness.trunk).toBe("reachable");
  expect(readiness.recordings).toBe("ok");
  expect(readiness.recordings_store).toBe("disk");
  const jwks = await (await request.get("/.well-known/jwks.json")).json();
  expect(jwks.keys[0].kty).toBe("RSA");
  expect(jwks.keys[0].alg).toBe("RS256");
  // Private API calls without a session are refused.
  // (Sent as the app sends it, JSON with its own Origin: anything else is refused first, 403.)
  const list = await request.post("/api/contacts/list", {
    headers: { Origin: baseURL! },
    data: { search: "", favourites_only: false, cursor: null },
  });
  expect(list.status()).toBe(401);
  expect(await list.text()).toContain("NotSignedIn");
});
