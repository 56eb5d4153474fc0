import AxeBuilder from "@axe-core/playwright";
import { expect, test } from "@playwright/test";
import { expectEchoThenMuteSilences, hearKeys, listen } from "./audio";
import { dial, hydrated, keepMicrophone, signUp, unplugMicrophone } from "./helpers";

// Test numbers of the built-in PSTN simulator (README, docs/telephony.md).
const ECHO = "+65 6000 0001";
const READ_BACK = "+65 6000 0002";
const BUSY = "+65 6000 0003";
const NOT_FOUND = "+507 200-0005";
const SILENT = "+65 6000 0009";

for (const [label, viewport] of [
  ["desktop", { width: 1280, height: 800 }],
  ["phone", { width: 390, height: 844 }],
] as const) {
  test.describe(`a call on ${label}`, () => {
    test.use({ viewport });

    test("echo: ringing, connected, hears itself, mute silences it, end, then Recents", async ({ page }) => {
      test.setTimeout(60_000);
      await signUp(page);
      await dial(page, ECHO);
      const panel = page.getByTestId("call-panel");
      await expect(panel).toHaveAttribute("data-state", "ringing", { timeout: 10_000 });
      // Ringback (425 Hz, Singapore cadence) plays while the far end rings.
      expect((await listen(page, 425, 1200)).peak).toBeGreaterThan(0.5);
      await expect(panel).toHaveAttribute("data-state", "connected", { timeout: 10_000 });
      await expect(page.getByTestId("call-timer")).toHaveText(/^0:0\d$/);

      // The fake microphone's 440 Hz tone comes back from the echo number; mute silences it.
      await expectEchoThenMuteSilences(page, 800, 1000);

      // The call screen is accessible too.
      const axe = await new AxeBuilder({ page }).include('[data-testid="call-panel"]').analyze();
      const serious = axe.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
      expect(serious.map((v) => `${v.id}: ${v.help}`)).toEqual([]);

      await page.getByTestId("end-call").click();
      await expect(panel).toHaveAttribute("data-state", "ended");
      await expect(page.getByTestId("call-state")).toContainText("Completed");
      await page.getByTestId("dismiss-call").click();
      await expect(panel).toBeHidden();

      await page.goto("/recents");
      await hydrated(page);
      const row = page.getByRole("listitem").filter({ hasText: "+65 6000 0001" }).first();
      await expect(row).toBeVisible();
      // The duration on its own: the row also shows the time of day, which has colons too.
      await expect(row.getByTestId("call-duration")).toHaveText(/^(0:0[3-9]|0:[1-5]\d)$/);
    });
  });
}

test("the read-back number plays back the keys pressed on the in-call keypad", async ({ page }) => {
  test.setTimeout(60_000);
  await signUp(page);
  await dial(page, READ_BACK);
  const panel = page.getByTestId("call-panel");
  await expect(panel).toHaveAttribute("data-state", "connected", { timeout: 15_000 });
  await page.getByTestId("keypad-toggle").click();
  // Mute so only the read-back tones come back, then let the greeting end.
  await page.getByTestId("mute-button").click();
  await page.waitForTimeout(1200);
  const listening = hearKeys(page, 4000);
  for (const key of ["1", "5", "#"]) {
    await page.locator(`[data-dtmf="${key}"]`).click();
    await page.waitForTimeout(600);
  }
  expect(await listening).toBe("15#");
  await page.getByTestId("end-call").click();
  await expect(panel).toHaveAttribute("data-state", "ended");
});

test("busy and unassigned numbers end with their reasons", async ({ page }) => {
  await signUp(page);
  await dial(page, BUSY);
  await expect(page.getByTestId("call-state")).toContainText("Busy", { timeout: 10_000 });
  await expect(page.getByTestId("call-panel")).toHaveAttribute("data-state", "ended");
  await expect(page.getByTestId("call-panel")).toBeHidden({ timeout: 10_000 });
  await dial(page, NOT_FOUND);
  await expect(page.getByTestId("call-state")).toContainText("Number does not exist", { timeout: 10_000 });
});

test("a phone network that answers nothing fails the call within seconds, and says so", async ({ page }) => {
  await signUp(page);
  await dial(page, SILENT);
  await expect(page.getByTestId("call-state")).toContainText("The phone network did not respond", {
    timeout: 10_000,
  });
  await expect(page.getByTestId("call-panel")).toHaveAttribute("data-state", "ended");
  // The line is free again at once.
  await expect(page.getByTestId("call-panel")).toBeHidden({ timeout: 10_000 });
  await dial(page, BUSY);
  await expect(page.getByTestId("call-state")).toContainText("Busy", { timeout: 10_000 });
});

test("the call survives navigation; a second tab sees it and cannot start another", async ({ page, context }) => {
  test.setTimeout(60_000);
  await signUp(page);
  await dial(page, ECHO);
  const panel = page.getByTestId("call-panel");
  await expect(panel).toHaveAttribute("data-state", "connected", { timeout: 15_000 });

  // Navigating inside the app keeps the call (the panel lives in the shell).
  await page.getByRole("link", { name: "Contacts" }).click();
  await expect(page).toHaveURL(/\/contacts$/);
  await expect(panel).toHaveAttribute("data-state", "connected");
  await page.getByRole("link", { name: "Keypad" }).click();
  await expect(panel).toHaveAttribute("data-state", "connected");

  // Another tab of the same user sees the call, without its audio, and cannot dial.
  const other = await context.newPage();
  await other.goto("/");
  await hydrated(other);
  await expect(other.getByTestId("call-panel")).toHaveAttribute("data-state", "connected");
  await expect(other.getByTestId("call-elsewhere")).toBeVisible();
  await expect(other.getByTestId("mute-button")).toHaveCount(0);
  await expect(other.getByTestId("call-button")).toBeDisabled();

  // Ending it from the other tab ends it everywhere.
  await other.getByTestId("end-call").click();
  await expect(panel).toHaveAttribute("data-state", "ended");
  await expect(other.getByTestId("call-panel")).toHaveAttribute("data-state", "ended");
  await other.close();
});

test("a blocked or missing microphone is explained, nothing is dialled, and Call can be pressed again", async ({ page }) => {
  await signUp(page);
  await page.addInitScript(() => {
    navigator.mediaDevices.getUserMedia = () =>
      Promise.reject(new DOMException("refused", (window as any).__micError ?? "NotAllowedError"));
  });
  await dial(page, ECHO);
  const verdict = page.getByTestId("dial-verdict");
  await expect(verdict).toContainText("Microphone access is blocked");
  await expect(page.getByTestId("call-panel")).toHaveCount(0);
  await expect(page.getByTestId("call-button")).toBeEnabled();

  await page.addInitScript(() => ((window as any).__micError = "NotFoundError"));
  await dial(page, ECHO);
  await expect(verdict).toContainText("No microphone found");

  // Nothing reached the call log.
  await page.goto("/recents");
  await hydrated(page);
  await expect(page.getByText("No calls yet")).toBeVisible();
});

test("a microphone lost during a call is reported and can be reopened without ending the call", async ({ page }) => {
  test.setTimeout(60_000);
  await signUp(page);
  await keepMicrophone(page);
  await dial(page, ECHO);
  const panel = page.getByTestId("call-panel");
  await expect(panel).toHaveAttribute("data-state", "connected", { timeout: 15_000 });

  // The device goes away (what the browser reports when it is unplugged).
  await unplugMicrophone(page);
  await expect(page.getByTestId("mic-problem")).toContainText("The microphone was disconnected");
  await page.getByTestId("mic-retry").click();
  await expect(page.getByTestId("mic-problem")).toHaveCount(0);
  await expect(panel).toHaveAttribute("data-state", "connected");
  // The new microphone's tone reaches the far end and comes back.
  await page.waitForTimeout(1000);
  const heard = await listen(page, 440);
  expect(heard.rms).toBeGreaterThan(0.01);
  expect(heard.purity).toBeGreaterThan(0.5);
  await page.getByTestId("end-call").click();
  await expect(panel).toHaveAttribute("data-state", "ended");
});

test("a call dialled after the live channel opened but before its hello arrived waits for the hello", async ({ page }) => {
  test.setTimeout(60_000);
  await signUp(page);
  // The live channel opens at once, but what the server says (its hello first, which names
  // this tab's connection) is held back until released: what a loaded server looks like.
  let release = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  let opened = false;
  await page.routeWebSocket(/\/api\/live$/, (ws) => {
    opened = true;
    const server = ws.connectToServer();
    server.onMessage(async (message) => {
      await held;
      ws.send(message);
    });
  });
  await dial(page, ECHO);
  await expect.poll(() => opened).toBe(true);
  await page.waitForTimeout(1500);
  await expect(page.getByText("Not connected to the server")).toHaveCount(0);
  release();
  const panel = page.getByTestId("call-panel");
  await expect(panel).toHaveAttribute("data-state", "connected", { timeout: 15_000 });
  await page.getByTestId("end-call").click();
  await expect(panel).toHaveAttribute("data-state", "ended");
});
