import { expect, Page, test } from "@playwright/test";
import { expectEchoThenMuteSilences, hearKeys, listen } from "./audio";
import { dial, hydrated, signUp } from "./helpers";

// Calls in the Chime shape (docs/chime.md): the server on port + 2 runs with
// SOFTPHONE_TELEPHONY=chime-standin, so each call is a meeting joined by the real
// amazon-chime-sdk-js, bridged by the stand-in's SIP media application runtime (our handler)
// to the built-in PSTN simulator. Its log is E2E_SERVER_LOG + ".chime".

const port = Number(process.env.E2E_PORT ?? 3100);
test.use({ baseURL: `http://127.0.0.1:${port + 2}` });

// Test numbers of the built-in PSTN simulator (README, docs/telephony.md).
const ECHO = "+65 6000 0001";
const READ_BACK = "+65 6000 0002";
const BUSY = "+65 6000 0003";
const NOT_FOUND = "+507 200-0005";

/** Dials `number` and records the live channel's frames (hello, join answer, calls). */
async function dialThroughChime(page: Page, number: string): Promise<string[]> {
  const frames: string[] = [];
  page.on("websocket", (ws) => {
    if (!ws.url().endsWith("/api/live")) return;
    ws.on("framereceived", (f) => typeof f.payload === "string" && frames.push(f.payload));
    ws.on("framesent", (f) => typeof f.payload === "string" && frames.push(`> ${f.payload}`));
  });
  await dial(page, number);
  return frames;
}

/** What the server answers a record request for the user's call, sent from another tab's live channel. */
async function recordRequestAnswer(page: Page): Promise<string> {
  const other = await page.context().newPage();
  await other.goto("/healthz");
  const answer = await other.evaluate(async () => {
    const ws = new WebSocket(`ws://${location.host}/api/live`);
    return new Promise<string>((resolve, reject) => {
      ws.onerror = () => reject(new Error("the live channel failed"));
      ws.onmessage = (m) => {
        const message = JSON.parse(m.data);
        if (message.type === "hello") {
          if (!message.call) return resolve("the other tab sees no call");
          ws.send(JSON.stringify({ type: "record", call_id: message.call.id, action: "start" }));
        } else if (message.type === "error" || message.call?.recording) {
          resolve(JSON.stringify(message));
        }
      };
    });
  });
  await other.close();
  return answer;
}

test.describe("calls through Chime (the local stand-in)", () => {
  test("echo: ringing, connected through the SDK, hears itself, mute silences it, no recording, end, Recents", async ({ page }) => {
    test.setTimeout(90_000);
    const bundle: string[] = [];
    page.on("request", (r) => r.url().includes("/chime/chime-sdk-") && bundle.push(r.url()));
    await signUp(page);
    const frames = await dialThroughChime(page, ECHO);
    const panel = page.getByTestId("call-panel");
    await expect(panel).toHaveAttribute("data-state", "ringing", { timeout: 15_000 });
    // The gateway's ringback (425 Hz, Singapore cadence) reaches the meeting while the far end rings.
    expect((await listen(page, 425, 1200)).peak).toBeGreaterThan(0.5);
    await expect(panel).toHaveAttribute("data-state", "connected", { timeout: 20_000 });

    // The server said the audio goes through a meeting, the tab asked to join it, and the SDK
    // bundle was loaded to do so.
    expect(frames.some((f) => f.includes('"chime_meeting"'))).toBe(true);
    expect(frames.some((f) => f.startsWith(">") && f.includes('"type":"join"'))).toBe(true);
    expect(bundle.length).toBeGreaterThan(0);

    // The fake microphone's 440 Hz tone goes into the meeting, to the echo number and back,
    // and plays in the phone's audio element (the SDK's binding); muted
    // (realtimeMuteLocalAudio), the far end gets silence, so the echo falls silent.
    await expectEchoThenMuteSilences(page, 1500, 1500);

    // Recording through Chime is not wired yet (the server has no recorder in this shape): no
    // record control is offered, and a record request the page never sends is refused.
    await expect(page.getByTestId("record-ask")).toHaveCount(0);
    await expect(page.getByTestId("record-start")).toHaveCount(0);
    expect(await recordRequestAnswer(page)).toContain("recording is not available for calls through Chime yet");
    await expect(page.getByTestId("rec-indicator")).toHaveCount(0);
    await expect(panel).toHaveAttribute("data-state", "connected");

    await page.waitForTimeout(1000);
    await page.getByTestId("end-call").click();
    await expect(panel).toHaveAttribute("data-state", "ended");
    await expect(page.getByTestId("call-state")).toContainText("Completed");
    await page.getByTestId("dismiss-call").click();
    await expect(panel).toBeHidden();

    await page.goto("/recents");
    await hydrated(page);
    const row = page.getByTestId("call-row").filter({ hasText: "+65 6000 0001" }).first();
    await expect(row).toBeVisible();
    await expect(row).toContainText("Completed");
    await expect(row.getByTestId("call-duration")).toHaveText(/^(0:0[5-9]|0:[1-5]\d)$/);
  });

  test("keys on the in-call keypad reach the read-back number through the handler's SendDigits", async ({ page }) => {
    test.setTimeout(90_000);
    await signUp(page);
    const frames = await dialThroughChime(page, READ_BACK);
    const panel = page.getByTestId("call-panel");
    await expect(panel).toHaveAttribute("data-state", "connected", { timeout: 20_000 });
    await page.getByTestId("keypad-toggle").click();
    // Mute so only the read-back tones come back, then let the greeting end.
    await page.getByTestId("mute-button").click();
    await expect(page.getByTestId("mute-button")).toHaveAttribute("aria-pressed", "true");
    await page.waitForTimeout(1500);
    const listening = hearKeys(page, 6000);
    for (const key of ["1", "5", "#"]) {
      await page.locator(`[data-dtmf="${key}"]`).click();
      await page.waitForTimeout(800);
    }
    expect(await listening).toBe("15#");
    // They went as the live channel's Digits, not as tones in the audio (a meeting has none).
    const sent = frames.filter((f) => f.startsWith(">") && f.includes('"type":"digits"'));
    expect(sent.map((f) => JSON.parse(f.slice(2)).digits).join("")).toBe("15#");
    await page.getByTestId("end-call").click();
    await expect(panel).toHaveAttribute("data-state", "ended");
  });

  test("busy and unassigned numbers end with their reasons", async ({ page }) => {
    test.setTimeout(60_000);
    await signUp(page);
    await dialThroughChime(page, BUSY);
    await expect(page.getByTestId("call-state")).toContainText("Busy", { timeout: 15_000 });
    await expect(page.getByTestId("call-panel")).toHaveAttribute("data-state", "ended");
    await expect(page.getByTestId("call-panel")).toBeHidden({ timeout: 10_000 });
    await dialThroughChime(page, NOT_FOUND);
    await expect(page.getByTestId("call-state")).toContainText("Number does not exist", { timeout: 15_000 });

    await page.goto("/recents");
    await hydrated(page);
    await expect(page.getByTestId("call-row").filter({ hasText: "+65 6000 0003" }).first()).toContainText("Busy");
    await expect(page.getByTestId("call-row").filter({ hasText: "+507 200-0005" }).first()).toContainText(
      "Number does not exist",
    );
  });
});
