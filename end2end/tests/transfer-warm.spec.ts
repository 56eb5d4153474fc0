import { expect, test } from "@playwright/test";
import { dial, hydrated, signUp } from "./helpers";

// Warm transfer to a number (docs/telephony.md, "Transfer"): Ana, on a call to the simulator's
// echo number, consults the simulator's tone number first. While she talks with it the call
// screen says so, with Connect and Return to customer (reachable by keyboard, inside the
// viewport on a phone and on a desktop). Returning takes the caller back (resumed); consulting
// again and connecting ends her call as transferred to the number.
const ECHO = "+65 6000 0001";
const TONE = "+65 6000 0010";

for (const [label, viewport] of [
  ["desktop", { width: 1280, height: 800 }],
  ["phone", { width: 390, height: 844 }],
] as const) {
  test(`on ${label}: Ana consults a number, returns to the caller, then connects them`, async ({ browser }) => {
    test.setTimeout(150_000);
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    await signUp(page);
    await hydrated(page);
    await dial(page, ECHO);
    const panel = page.getByTestId("call-panel");
    await expect(panel).toHaveAttribute("data-state", "connected");
    const status = page.getByTestId("transfer-status");

    const consult = async () => {
      await page.getByTestId("transfer-button").click();
      await page.getByTestId("transfer-number").fill(TONE);
      const button = page.getByTestId("transfer-consult-button");
      await expect(button).toBeEnabled();
      await expect(button).toBeInViewport();
      await button.click();
      await expect(status).toHaveAttribute("data-state", "consulting", { timeout: 20_000 });
      await expect(status).toHaveText(`Talking to ${TONE} · customer on hold`);
      await expect(status).toHaveAttribute("role", "status");
      await expect(panel).toHaveAttribute("data-state", "held");
    };

    await consult();
    const back = page.getByTestId("transfer-return");
    const connect = page.getByTestId("transfer-complete");
    for (const button of [back, connect]) {
      await expect(button).toBeVisible();
      await expect(button).toBeInViewport();
    }
    await expect(page.getByTestId("hold-note")).toHaveCount(0);
    // By keyboard: Return to customer.
    await back.focus();
    await page.keyboard.press("Enter");
    await expect(panel).toHaveAttribute("data-state", "connected", { timeout: 20_000 });
    await expect(status).toHaveCount(0);

    await consult();
    await connect.focus();
    await page.keyboard.press("Enter");
    await expect(panel).toHaveAttribute("data-state", "ended", { timeout: 20_000 });
    await expect(page.getByTestId("call-state")).toContainText(`Transferred to ${TONE}`);

    await page.goto("/recents");
    await hydrated(page);
    const rows = page.getByTestId("call-row");
    await expect(rows.filter({ hasText: `Transferred to ${TONE}` })).toHaveCount(1);
    // The returned consultation and the connected one: two calls of Ana's to the number.
    await expect(rows.filter({ hasText: TONE }).filter({ hasNotText: "Transferred" })).toHaveCount(2);
    await context.close();
  });
}
