import { expect, test } from "@playwright/test";
import { listen } from "./audio";
import { dial, hydrated, signUp } from "./helpers";

// Hold on a call to the simulator's echo number (docs/telephony.md, "Hold"): while held the
// agent hears nothing (the echo of their own tone stops: the far end gets our music instead,
// which the native tests listen to); every tab of the agent shows the call on hold; resuming
// brings the echo back.
const ECHO = "+65 6000 0001";

for (const [label, viewport] of [
  ["desktop", { width: 1280, height: 800 }],
  ["phone", { width: 390, height: 844 }],
] as const) {
  test.describe(`hold on ${label}`, () => {
    test.use({ viewport });

    test("hold silences the call both ways, shows on every tab, and resume brings it back", async ({ page }) => {
      test.setTimeout(60_000);
      await signUp(page);
      await dial(page, ECHO);
      const panel = page.getByTestId("call-panel");
      await expect(panel).toHaveAttribute("data-state", "connected", { timeout: 15_000 });
      const hold = page.getByTestId("hold-button");
      await expect(hold).toHaveAttribute("aria-pressed", "false");
      await page.waitForTimeout(800);
      const talking = await listen(page, 440);
      expect(talking.rms).toBeGreaterThan(0.01);
      expect(talking.purity).toBeGreaterThan(0.5);

      // Another tab of the same agent shows the call; the hold will show there too.
      const other = await page.context().newPage();
      await other.goto("/");
      await hydrated(other);
      const otherState = other.getByTestId("call-state");
      await expect(otherState).toHaveText("Connected");

      await hold.click();
      await expect(panel).toHaveAttribute("data-state", "held");
      await expect(hold).toHaveAttribute("aria-pressed", "true");
      await expect(page.getByTestId("call-state")).toHaveText("On hold");
      await expect(page.getByTestId("hold-note")).toBeVisible();
      await expect(otherState).toHaveText("On hold");
      // What the browser had buffered plays out first (longer on a loaded machine): silence
      // must follow within a few seconds, and stay.
      await expect
        .poll(async () => (await listen(page, 440, 600)).rms, { timeout: 10_000 })
        .toBeLessThan(talking.rms / 10);
      const held = await listen(page, 440);
      expect(held.rms).toBeLessThan(talking.rms / 10);
      // The timer runs on: the call is still up.
      await expect(page.getByTestId("call-timer")).toHaveText(/^0:\d\d$/);

      await hold.click();
      await expect(panel).toHaveAttribute("data-state", "connected");
      await expect(hold).toHaveAttribute("aria-pressed", "false");
      await expect(page.getByTestId("hold-note")).toBeHidden();
      await expect(otherState).toHaveText("Connected");
      await expect
        .poll(async () => (await listen(page, 440, 600)).rms, { timeout: 10_000 })
        .toBeGreaterThan(0.01);
      const back = await listen(page, 440);
      expect(back.rms).toBeGreaterThan(0.01);
      expect(back.purity).toBeGreaterThan(0.5);

      await page.getByTestId("end-call").click();
      await expect(panel).toHaveAttribute("data-state", "ended");
      await other.close();
    });
  });
}
