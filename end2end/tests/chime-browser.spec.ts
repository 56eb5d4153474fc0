import { expect, test } from "@playwright/test";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { dial, hydrated, signUp } from "./helpers";

// The Chime browser module (chime-client/, bundled by scripts/chime-bundle.sh into public/chime/)
// and its Rust glue (app/src/phone/chime.rs); docs/chime.md, "The browser".
const sdkVersion: string = JSON.parse(
  fs.readFileSync(path.join(__dirname, "../../chime-client/package-lock.json"), "utf8"),
).packages["node_modules/amazon-chime-sdk-js"].version;
const BUNDLE = `/chime/chime-sdk-${sdkVersion}.js`;
const BUSY = "+65 6000 0003";
// The bundle, and the glue's lazy WASM chunk (`#[lazy]` functions are named split_<fn>_<hash>).
const CHIME_URL = /\/chime\/|split_join_split_/;

test("the default shape never loads the Chime SDK: pages, a call, all without the bundle", async ({ page, request }) => {
  // It is there to be loaded, as JavaScript (the request carries no session).
  const bundle = await request.get(BUNDLE);
  expect(bundle.status()).toBe(200);
  expect(bundle.headers()["content-type"]).toContain("javascript");
  // Public like /pkg/, and kept by the browser: a new SDK version is a new file name.
  expect(bundle.headers()["cache-control"]).toBe("public, max-age=31536000, immutable");

  const chimeRequests: string[] = [];
  page.on("request", (r) => {
    if (CHIME_URL.test(r.url())) chimeRequests.push(r.url());
  });
  await signUp(page);
  for (const url of ["/recents", "/contacts", "/contacts/new", "/settings", "/"]) {
    await page.goto(url);
    await hydrated(page);
  }
  // A call through the built-in gateway (the busy number ends it by itself).
  await dial(page, BUSY);
  await expect(page.getByTestId("call-state")).toContainText("Busy", { timeout: 10_000 });
  expect(chimeRequests).toEqual([]);
});

/** A 127.0.0.1 port that nothing listens on (one just released). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test("a meeting whose signalling is unreachable ends as failed to connect within the short timeout", async ({ page }) => {
  test.setTimeout(60_000);
  const port = await closedPort();
  // A CreateMeeting / CreateAttendee response as the server will pass it on; no
  // EventIngestionUrl, so the SDK posts no client events.
  const meeting = {
    Meeting: {
      MeetingId: "e2e-meeting",
      ExternalMeetingId: "e2e-call",
      MediaRegion: "us-east-1",
      MediaPlacement: {
        AudioHostUrl: `127.0.0.1:${port}`,
        AudioFallbackUrl: `wss://127.0.0.1:${port}/audio`,
        SignalingUrl: `ws://127.0.0.1:${port}/control/e2e-meeting`,
        TurnControlUrl: `http://127.0.0.1:${port}/turn`,
      },
    },
  };
  const attendee = { Attendee: { AttendeeId: "e2e-attendee", ExternalUserId: "e2e-agent", JoinToken: "e2e-token" } };
  const chimeRequests: string[] = [];
  page.on("request", (r) => {
    if (CHIME_URL.test(r.url())) chimeRequests.push(new URL(r.url()).pathname);
  });

  await signUp(page);
  await hydrated(page);
  expect(chimeRequests).toEqual([]);
  // Joins through the app's own Rust glue (the debug build's chimeProbe export), which loads
  // the join chunk and the bundle with the loader snippet; each event is reported as Rust
  // parsed it.
  const result = await page.evaluate(
    async ({ meeting, attendee }) => {
      // Indirect eval: a real dynamic import of the app's already loaded module.
      const app = await (0, eval)("import('/pkg/softphone.js')");
      const events: { type: string; reason?: string; at: number }[] = [];
      const started = performance.now();
      let ended: (value?: unknown) => void = () => {};
      const end = new Promise((resolve) => (ended = resolve));
      await app.chimeProbe(JSON.stringify(meeting), JSON.stringify(attendee), (event: any) => {
        events.push({ ...event, at: Math.round(performance.now() - started) });
        if (event.type === "ended") ended();
      });
      await Promise.race([end, new Promise((resolve) => setTimeout(resolve, 40_000))]);
      return events;
    },
    { meeting, attendee },
  );

  // The glue's join chunk first, then the bundle, each once.
  expect(chimeRequests).toEqual([expect.stringMatching(/^\/pkg\/split_join_split_\d+\.wasm$/), BUNDLE]);
  expect(result[0]).toMatchObject({ type: "connecting", reconnecting: false });
  const last = result.at(-1)!;
  expect(last).toMatchObject({ type: "ended", reason: "failed_to_connect" });
  expect(result.filter((e) => e.type === "ended")).toHaveLength(1);
  expect(result.some((e) => e.type === "connected")).toBe(false);
  // The reconnect timeout is 10 s (the SDK's default is 120 s).
  expect(last.at).toBeLessThan(20_000);
});
