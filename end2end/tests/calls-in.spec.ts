import AxeBuilder from "@axe-core/playwright";
import { expect, test } from "@playwright/test";
import { expectEchoThenMuteSilences } from "./audio";
import { dial, hydrated, signUp } from "./helpers";

// The simulator's calling-back number answers, hangs up after 2 s and calls the caller ID back
// 5 s later; the call back rings the agent who called it (README, docs/telephony.md "Calls in").
const CALLS_BACK = "+65 6000 0008";
const ECHO = "+65 6000 0001";
const OUR_NUMBER = "+65 6000 0000";

/// Dials the calling-back number and waits for its call back to ring.
async function calledBack(page: import("@playwright/test").Page) {
  await dial(page, CALLS_BACK);
  const panel = page.getByTestId("call-panel");
  await expect(panel).toHaveAttribute("data-state", "connected", { timeout: 10_000 });
  await expect(panel).toHaveAttribute("data-state", "ended", { timeout: 10_000 });
  const incoming = page.getByTestId("incoming-call");
  await expect(incoming).toBeVisible({ timeout: 15_000 });
  return incoming;
}

for (const [label, viewport] of [
  ["desktop", { width: 1280, height: 800 }],
  ["phone", { width: 390, height: 844 }],
] as const) {
  test.describe(`a call in on ${label}`, () => {
    test.use({ viewport });

    test("the customer calls back: it rings, Answer connects with audio both ways, Recents shows it incoming", async ({ page }) => {
      test.setTimeout(90_000);
      await signUp(page);
      const incoming = await calledBack(page);
      await expect(incoming.getByTestId("incoming-caller")).toHaveText(CALLS_BACK);
      await expect(incoming.getByTestId("incoming-to")).toContainText(OUR_NUMBER);
      // Our own ringtone plays while it rings; focus is on Answer.
      await expect(page.getByTestId("ringtone")).toHaveAttribute("data-tone", "/sounds/ringtone.wav");
      await expect(page.getByTestId("incoming-answer")).toBeFocused();
      const axe = await new AxeBuilder({ page }).include('[data-testid="incoming-call"]').analyze();
      const serious = axe.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
      expect(serious.map((v) => `${v.id}: ${v.help}`)).toEqual([]);

      await page.getByTestId("incoming-answer").click();
      await expect(incoming).toBeHidden();
      await expect(page.getByTestId("ringtone")).toHaveCount(0);
      const panel = page.getByTestId("call-panel");
      await expect(panel).toHaveAttribute("data-state", "connected", { timeout: 10_000 });
      // The fake microphone's 440 Hz reaches the caller and comes back (their echo).
      await expectEchoThenMuteSilences(page, 800, 1000);
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
}

test("a declined call in is a missed call in Recents", async ({ page }) => {
  test.setTimeout(60_000);
  await signUp(page);
  const incoming = await calledBack(page);
  await page.keyboard.press("Escape");
  await expect(incoming).toBeHidden();
  await expect(page.getByTestId("ringtone")).toHaveCount(0);
  await page.goto("/recents");
  await hydrated(page);
  const row = page.locator('[data-testid="call-row"][data-direction="inbound"]').first();
  await expect(row).toContainText(CALLS_BACK);
  await expect(row).toContainText("Missed");
});

test("a call in during a call is a waiting call; answering it ends the current call", async ({ page }) => {
  test.setTimeout(90_000);
  await signUp(page);
  await dial(page, CALLS_BACK);
  const panel = page.getByTestId("call-panel");
  await expect(panel).toHaveAttribute("data-state", "ended", { timeout: 15_000 });
  // Within the 5 s before the call back, another call.
  await page.getByTestId("dismiss-call").click();
  await dial(page, ECHO);
  await expect(panel).toHaveAttribute("data-state", "connected", { timeout: 10_000 });
  const incoming = page.getByTestId("incoming-call");
  await expect(incoming).toBeVisible({ timeout: 15_000 });
  await expect(incoming).toContainText("Call waiting");
  await expect(incoming).toContainText("Answering ends your current call.");
  await expect(page.getByTestId("ringtone")).toHaveAttribute("data-tone", "/sounds/call-waiting.wav");
  await page.getByTestId("incoming-answer").click();
  await expect(incoming).toBeHidden();
  await expect(page.getByTestId("call-number")).toContainText(CALLS_BACK, { timeout: 10_000 });
  await expect(panel).toHaveAttribute("data-state", "connected", { timeout: 10_000 });
  await expectEchoThenMuteSilences(page, 800, 1000);
  await page.getByTestId("end-call").click();
});
