import { expect, Page, test } from "@playwright/test";
import { dial, latestCallWithQuality, signUp } from "./helpers";

// The call's quality on the call screen (docs/quality.md): signal bars from the browser's
// statistics each second, and the warnings in plain words, raised on 3 of 5 (10 for the
// microphone) bad seconds and cleared 5 s after the last.

const ECHO = "+65 6000 0001";

/** The next microphone the app opens sends digital silence (a dead or muted-at-source one). */
async function silentMicrophone(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
    navigator.mediaDevices.getUserMedia = async (c) => {
      // The real request first: permission and device checks as ever.
      (await original(c)).getTracks().forEach((t) => t.stop());
      const ctx = new AudioContext();
      return ctx.createMediaStreamDestination().stream;
    };
  });
}

test("a good call shows full bars and no warning, even with a steady tone for a voice", async ({ page }) => {
  test.setTimeout(60_000);
  await signUp(page);
  await dial(page, ECHO);
  await expect(page.getByTestId("call-panel")).toHaveAttribute("data-state", "connected", { timeout: 15_000 });
  // Loopback: no delay, no loss. The bars appear once the round trip has been measured.
  const quality = page.getByTestId("call-quality");
  await expect(quality).toBeVisible({ timeout: 15_000 });
  expect(Number(await quality.getAttribute("data-bars"))).toBeGreaterThanOrEqual(4);
  await expect(quality).toHaveAttribute("title", /Call quality: [45] of 5/);
  // The fake microphone plays a steady 440 Hz tone: its level does not move, but it is not
  // silence, so after more than the 10 s the microphone rule looks at, nothing is raised.
  await page.waitForTimeout(13_000);
  await expect(page.getByTestId("quality-warnings").locator("li")).toHaveCount(0);
  await page.getByTestId("end-call").click();
  await expect(quality).toBeHidden();

  // The summary is kept with the call: its page in Recents says how it sounded.
  const summary = await latestCallWithQuality(page);
  const mos = summary.getByTestId("call-view-mos");
  await expect(mos).toHaveText(/^Sound \(MOS, 1 to 4\.5\): \d\.\d on average, \d\.\d at worst$/);
  const [average, worst] = ((await mos.textContent()) ?? "").match(/\d\.\d/g)!.map(Number);
  expect(worst).toBeGreaterThanOrEqual(4.0);
  expect(average).toBeGreaterThanOrEqual(worst);
  await expect(summary).toContainText(/Packets lost: up to \d+\.\d %\. Jitter: up to \d+ ms\. Round trip: up to \d+ ms\./);
  await expect(summary).toContainText("No warning during the call.");
  // The gateway's own measure of the trunk's audio: nothing lost on loopback.
  await expect(summary.getByTestId("call-view-trunk")).toHaveText(
    /^Phone network's side: 0\.0 % of its packets lost \(0 of \d+\), jitter up to \d+ ms\.$/,
  );
});

test("a silent microphone is warned of, and the warning clears once muted", async ({ page }) => {
  test.setTimeout(60_000);
  await silentMicrophone(page);
  await signUp(page);
  await dial(page, ECHO);
  await expect(page.getByTestId("call-panel")).toHaveAttribute("data-state", "connected", { timeout: 15_000 });
  const warning = page.locator('[data-testid="quality-warnings"] [data-warning="silent_microphone"]');
  await expect(warning).toHaveText("Your microphone seems silent.", { timeout: 20_000 });
  // Muted, the microphone is silent by choice: the warning goes 5 s later.
  await page.getByTestId("mute-button").click();
  await expect(warning).toBeHidden({ timeout: 12_000 });
  await page.getByTestId("end-call").click();
});
