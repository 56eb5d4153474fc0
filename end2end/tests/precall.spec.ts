import AxeBuilder from "@axe-core/playwright";
import { expect, test } from "@playwright/test";
import { hydrated, signUp } from "./helpers";

// The pre-call check in Settings (docs/quality.md, "Pre-call check"): the speaker's test sound
// and the network test to the server's gateway, which sends the browser's tone straight back.
// On loopback the connection is good; the lossy network's verdict is in
// call-quality-network.spec.ts (the impairing relay is shared, so its tests run one at a time).

for (const [label, viewport] of [
  ["desktop", { width: 1280, height: 800 }],
  ["phone", { width: 390, height: 844 }],
] as const) {
  test(`the pre-call check on ${label}: test sound, and a good connection with its figures`, async ({ page }) => {
    test.setTimeout(90_000);
    await page.setViewportSize(viewport);
    await signUp(page);
    await page.goto("/settings");
    await hydrated(page);
    const check = page.getByTestId("precall-check");
    await expect(check.getByRole("heading", { name: "Pre-call check" })).toBeVisible();

    await check.getByRole("button", { name: "Play test sound" }).click();
    await expect(check.getByTestId("precall-sound-status")).toHaveText(
      "You should hear two short beeps in your speaker or headset.",
    );

    await check.getByRole("button", { name: "Test connection" }).click();
    const verdict = check.getByTestId("precall-verdict");
    await expect(verdict).toContainText("Testing your connection…");
    await expect(check.getByRole("button", { name: "Test connection" })).toBeDisabled();
    await expect(verdict).toHaveAttribute("data-verdict", "good", { timeout: 30_000 });
    await expect(verdict).toHaveText("Good: calls should sound clear.");
    await expect(check.getByTestId("precall-rtt")).toHaveText(/^\d+ ms$/);
    await expect(check.getByTestId("precall-loss")).toHaveText("0.0 %");
    await expect(check.getByTestId("precall-mos")).toHaveText(/^4\.\d\d$/);
    expect(Number(await check.getByTestId("precall-mos").getAttribute("data-bars"))).toBeGreaterThanOrEqual(4);
    await expect(check.getByRole("button", { name: "Test connection" })).toBeEnabled();

    // No call was placed: Recents stays empty.
    await page.goto("/recents");
    await hydrated(page);
    await expect(page.getByTestId("call-row")).toHaveCount(0);

    if (label === "desktop") {
      await page.goto("/settings");
      await hydrated(page);
      const results = await new AxeBuilder({ page }).include('[data-testid="precall-check"]').analyze();
      const serious = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
      expect(serious.map((v) => v.id)).toEqual([]);
    }
  });
}
