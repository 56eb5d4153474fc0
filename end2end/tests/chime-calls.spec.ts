import { expect, Page, test } from "@playwright/test";
import { expectEchoThenMuteSilences, hearKeys, listen } from "./audio";
import { dial, hydrated, keepMicrophone, signUp, unplugMicrophone } from "./helpers";

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
const NO_ANSWER = "+507 200-0004";
const NOT_FOUND = "+507 200-0005";
// Answers, hangs up after 2 s and calls the caller ID back 5 s later (docs/telephony.md).
const CALLS_BACK = "+65 6000 0008";

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

test.describe("calls through Chime (the local stand-in)", () => {
  test("echo: ringing, connected through the SDK, hears itself, mute silences it, recorded, end, Recents with the recording", async ({ page }) => {
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

    // Recording: asked for ("ask each time" is the default), it goes to the handler as the
    // consent notice and StartCallRecording; the stand-in writes the file into the server's
    // recordings directory and the server takes it in when the call ends.
    await expect(page.getByTestId("record-ask")).toBeVisible();
    await page.getByTestId("record-start").click();
    const rec = page.getByTestId("rec-indicator");
    await expect(rec).toHaveAttribute("data-state", "recording");
    await page.waitForTimeout(2000);
    await page.getByTestId("record-pause").click();
    await expect(rec).toHaveAttribute("data-state", "paused");
    await page.waitForTimeout(1000);
    await page.getByTestId("record-resume").click();
    await expect(rec).toHaveAttribute("data-state", "recording");
    await page.waitForTimeout(1500);
    await expect(panel).toHaveAttribute("data-state", "connected");

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

    // The recording plays from Recents like any other: consent, the pause, both channels.
    await expect(row).toHaveAttribute("data-has-recording", "true");
    await row.getByTestId("recording-toggle").click();
    const player = page.getByTestId("recording-player");
    await expect(player).toBeVisible({ timeout: 10_000 });
    await expect(player.getByTestId("recording-facts")).toContainText("consent notice played");
    await expect(player.getByTestId("recording-facts")).toContainText("Paused 1×");
    const src = (await page.getByTestId("recording-audio").getAttribute("src"))!;
    const wav = await (await page.request.get(src)).body();
    expect(wav.subarray(0, 4).toString()).toBe("RIFF");
    expect(wav.readUInt16LE(22)).toBe(2); // stereo
    expect(wav.readUInt32LE(24)).toBe(8000);
    const seconds = (wav.length - 44) / 4 / 8000;
    expect(seconds).toBeGreaterThan(4); // 2 s + 1 s paused + 1.5 s
    // Left the called party (the echo), right the agent (the fake microphone's tone), in the
    // second after the consent notice.
    const rms = (channel: number) => {
      let sum = 0;
      for (let i = 8000; i < 16000; i++) sum += wav.readInt16LE(44 + i * 4 + channel * 2) ** 2;
      return Math.sqrt(sum / 8000);
    };
    expect(rms(0)).toBeGreaterThan(300);
    expect(rms(1)).toBeGreaterThan(300);
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
    const heard = await listening;
    // They went as the live channel's Digits, not as tones in the audio (a meeting has none).
    const sent = frames.filter((f) => f.startsWith(">") && f.includes('"type":"digits"'));
    expect(sent.map((f) => JSON.parse(f.slice(2)).digits).join("")).toBe("15#");
    expect(heard).toBe("15#");
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

  test("a number nobody answers rings out and ends as no answer", async ({ page }) => {
    // The simulator's no-answer number rings for 30 s, then refuses with 480.
    test.setTimeout(90_000);
    await signUp(page);
    await dialThroughChime(page, NO_ANSWER);
    const panel = page.getByTestId("call-panel");
    await expect(panel).toHaveAttribute("data-state", "ringing", { timeout: 15_000 });
    await expect(page.getByTestId("call-state")).toContainText("No answer", { timeout: 45_000 });
    await expect(panel).toHaveAttribute("data-state", "ended");
    await page.goto("/recents");
    await hydrated(page);
    await expect(page.getByTestId("call-row").filter({ hasText: "+507 200-0004" }).first()).toContainText("No answer");
  });

  test("a microphone lost during a call is reported and reopened into the meeting without ending the call", async ({ page }) => {
    test.setTimeout(60_000);
    await signUp(page);
    await keepMicrophone(page);
    await dialThroughChime(page, ECHO);
    const panel = page.getByTestId("call-panel");
    await expect(panel).toHaveAttribute("data-state", "connected", { timeout: 20_000 });

    await unplugMicrophone(page);
    await expect(page.getByTestId("mic-problem")).toContainText("The microphone was disconnected");
    await page.waitForTimeout(1500);
    expect((await listen(page, 440)).rms).toBeLessThan(0.005);
    await page.getByTestId("mic-retry").click();
    await expect(page.getByTestId("mic-problem")).toHaveCount(0);
    await expect(panel).toHaveAttribute("data-state", "connected");
    // The new microphone's tone goes into the meeting, to the echo number and back.
    await page.waitForTimeout(2000);
    const heard = await listen(page, 440);
    expect(heard.rms).toBeGreaterThan(0.01);
    expect(heard.purity).toBeGreaterThan(0.5);
    await page.getByTestId("end-call").click();
    await expect(panel).toHaveAttribute("data-state", "ended");
  });

  test("a customer calls back: the SIP media application's call in rings, Answer joins the caller to the meeting, audio both ways, Recents shows it incoming", async ({ page }) => {
    // docs/chime.md, "Calls in": NEW_INBOUND_CALL reaches the server as the handler's progress,
    // the agent's answer makes the meeting and the handler joins the caller to it.
    test.setTimeout(90_000);
    await signUp(page);
    const frames = await dialThroughChime(page, CALLS_BACK);
    const panel = page.getByTestId("call-panel");
    await expect(panel).toHaveAttribute("data-state", "connected", { timeout: 20_000 });
    await expect(panel).toHaveAttribute("data-state", "ended", { timeout: 15_000 });
    const incoming = page.getByTestId("incoming-call");
    await expect(incoming).toBeVisible({ timeout: 20_000 });
    await expect(incoming.getByTestId("incoming-caller")).toHaveText(CALLS_BACK);
    await incoming.getByTestId("incoming-answer").click();
    await expect(incoming).toBeHidden();
    await expect(panel).toHaveAttribute("data-state", "connected", { timeout: 20_000 });
    // The answered call in went through a meeting too: a second join.
    expect(frames.filter((f) => f.startsWith(">") && f.includes('"type":"join"')).length).toBe(2);
    // The fake microphone's 440 Hz reaches the caller through the meeting and comes back.
    await expectEchoThenMuteSilences(page, 1500, 1500);
    await page.getByTestId("end-call").click();
    await expect(panel).toHaveAttribute("data-state", "ended");

    await page.goto("/recents");
    await hydrated(page);
    const row = page.locator('[data-testid="call-row"][data-direction="inbound"]').first();
    await expect(row).toContainText(CALLS_BACK);
    await expect(row).toContainText("Incoming");
    await expect(row).toContainText("Completed");
  });
});
