import { expect, test } from "@playwright/test";
import { dial, hydrated, signUp } from "./helpers";

// Blind transfer to a number (docs/telephony.md, "Transfer"): Ana, on a call to the simulator's
// echo number, sends it on to the simulator's tone number. The number field judges what she
// types as the keypad does (a number the policy refuses cannot be sent); the number answers,
// the caller and the number talk through the gateway, and Ana's call ends as transferred. Her
// Recents show both legs: hers, "Transferred to +65 6000 0010", and the call to the number.
const ECHO = "+65 6000 0001";
const TONE = "+65 6000 0010";

for (const [label, viewport] of [
  ["desktop", { width: 1280, height: 800 }],
  ["phone", { width: 390, height: 844 }],
] as const) {
  test(`on ${label}: Ana sends the call on to a number; her call ends as transferred to it`, async ({ browser }) => {
    test.setTimeout(120_000);
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    await signUp(page);
    await hydrated(page);
    await dial(page, ECHO);
    const panel = page.getByTestId("call-panel");
    await expect(panel).toHaveAttribute("data-state", "connected");

    await page.getByTestId("transfer-button").click();
    const field = page.getByTestId("transfer-number");
    const send = page.getByTestId("transfer-number-button");
    const verdict = page.getByTestId("transfer-number-verdict");
    // A number outside Panama and Singapore: said why, and it cannot be sent.
    await field.fill("+1 212 555 0100");
    await expect(verdict).not.toHaveText("");
    await expect(verdict).not.toContainText("+1");
    await expect(send).toBeDisabled();
    await field.fill(TONE);
    await expect(verdict).toHaveText(TONE);
    await expect(send).toBeEnabled();
    await send.click();

    await expect(panel).toHaveAttribute("data-state", "ended", { timeout: 20_000 });
    await expect(page.getByTestId("call-state")).toContainText(`Transferred to ${TONE}`);

    await page.goto("/recents");
    await hydrated(page);
    const rows = page.getByTestId("call-row");
    await expect(rows.filter({ hasText: `Transferred to ${TONE}` })).toHaveCount(1);
    await expect(rows.filter({ hasText: TONE }).filter({ hasNotText: "Transferred" })).toHaveCount(1);
    await context.close();
  });
}
