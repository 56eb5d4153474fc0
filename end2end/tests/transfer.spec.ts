import AxeBuilder from "@axe-core/playwright";
import { Browser, expect, Page, test } from "@playwright/test";
import { listen } from "./audio";
import { dial, hydrated, signUp } from "./helpers";

// Blind transfer to another agent (docs/telephony.md, "Transfer"): Ana, on a call to the
// simulator's echo number, hands it to Ben, whose app is open in another browser. While it
// rings for him the caller is on hold; his answer makes it his call (he hears the echo of his
// own microphone), hers ends as transferred. A decline leaves it with her, held, until she
// resumes.
const ECHO = "+65 6000 0001";

/** A signed-in agent in a browser of their own, with the app's live channel up. */
async function agent(browser: Browser, viewport: { width: number; height: number }) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const email = await signUp(page);
  await hydrated(page);
  await expect(page.locator("nav[data-live]")).toHaveAttribute("data-live", "connected");
  return { context, page, email };
}

/** Ana opens the list of agents on her call and transfers it to `email`. */
async function transferTo(page: Page, email: string) {
  await page.getByTestId("transfer-button").click();
  const list = page.getByTestId("transfer-list");
  await expect(list).toBeVisible();
  const row = list.getByTestId("transfer-agent").filter({ hasText: email });
  await expect(row).toContainText("Available");
  const axe = await new AxeBuilder({ page }).include('[data-testid="transfer-list"]').analyze();
  const serious = axe.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(serious.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`)).toEqual([]);
  await row.getByRole("button", { name: "Transfer" }).click();
  await expect(list).toBeHidden();
}

for (const [label, viewport] of [
  ["desktop", { width: 1280, height: 800 }],
  ["phone", { width: 390, height: 844 }],
] as const) {
  test(`on ${label}: Ben answers the transfer and talks with the caller; Ana's call ends as transferred`, async ({ browser }) => {
    test.setTimeout(120_000);
    const ana = await agent(browser, viewport);
    const ben = await agent(browser, viewport);
    await dial(ana.page, ECHO);
    const anaPanel = ana.page.getByTestId("call-panel");
    await expect(anaPanel).toHaveAttribute("data-state", "connected");

    await transferTo(ana.page, ben.email);
    await expect(ana.page.getByTestId("transfer-status")).toContainText(`Transferring to ${ben.email}`);
    await expect(anaPanel).toHaveAttribute("data-state", "held");
    const incoming = ben.page.getByTestId("incoming-call");
    await expect(incoming).toBeVisible();
    await expect(incoming).toContainText("Transferred call");
    await expect(incoming.getByTestId("incoming-caller")).toHaveText(ECHO);

    await ben.page.getByTestId("incoming-answer").click();
    const benPanel = ben.page.getByTestId("call-panel");
    await expect(benPanel).toHaveAttribute("data-state", "connected");
    await expect(anaPanel).toHaveAttribute("data-state", "ended");
    await expect(ana.page.getByTestId("call-state")).toContainText("Transferred");
    // Ben's microphone (the fake 440 Hz) reaches the echo number and comes back to him.
    await expect.poll(async () => (await listen(ben.page, 440, 600)).rms, { timeout: 15_000 }).toBeGreaterThan(0.01);

    await ben.page.getByTestId("end-call").click();
    await expect(benPanel).toHaveAttribute("data-state", "ended");
    // Each has the call in Recents, naming the other: Ana's transferred to Ben, Ben's taken
    // from Ana.
    await ana.page.goto("/recents");
    await hydrated(ana.page);
    await expect(ana.page.getByTestId("call-row").first()).toContainText(`Transferred to ${ben.email}`);
    await ben.page.goto("/recents");
    await hydrated(ben.page);
    const benRow = ben.page.locator('[data-testid="call-row"][data-direction="inbound"]').first();
    await expect(benRow).toContainText(ECHO);
    await expect(benRow).toContainText("Completed");
    await expect(benRow).toContainText(`Transferred from ${ana.email}`);
    await Promise.all([ana.context.close(), ben.context.close()]);
  });
}

test("Ben declines the transfer: the call stays with Ana, held, and Resume takes it back", async ({ browser }) => {
  test.setTimeout(120_000);
  const ana = await agent(browser, { width: 390, height: 844 });
  const ben = await agent(browser, { width: 390, height: 844 });
  await dial(ana.page, ECHO);
  const panel = ana.page.getByTestId("call-panel");
  await expect(panel).toHaveAttribute("data-state", "connected");
  await transferTo(ana.page, ben.email);
  const incoming = ben.page.getByTestId("incoming-call");
  await expect(incoming).toBeVisible();
  await ben.page.getByTestId("incoming-decline").click();
  await expect(incoming).toBeHidden();

  const status = ana.page.getByTestId("transfer-status");
  await expect(status).toHaveAttribute("data-state", "declined");
  await expect(status).toContainText(`${ben.email} declined`);
  await expect(panel).toHaveAttribute("data-state", "held");
  await ana.page.getByTestId("hold-button").click();
  await expect(panel).toHaveAttribute("data-state", "connected");
  await expect(status).toHaveCount(0);
  await expect.poll(async () => (await listen(ana.page, 440, 600)).rms, { timeout: 15_000 }).toBeGreaterThan(0.01);
  await ana.page.getByTestId("end-call").click();
  await Promise.all([ana.context.close(), ben.context.close()]);
});

/** Ana consults `email` about her call ("Consult first" beside their name). */
async function consult(page: Page, email: string) {
  await page.getByTestId("transfer-button").click();
  const list = page.getByTestId("transfer-list");
  const row = list.getByTestId("transfer-agent").filter({ hasText: email });
  await expect(row).toContainText("Available");
  await row.getByTestId("transfer-agent-consult").click();
  await expect(list).toBeHidden();
}

// A warm transfer to another agent (docs/telephony.md, "Warm transfer to an agent"): Ana
// consults Ben while the caller holds; once he answers they hear each other (each one's fake
// microphone reaches the other), then Connect makes it his call with his audio as it was, or
// Return to customer gives it back to her.
test("on desktop: Ana consults Ben, they talk, Connect hands him the call; Recents names each", async ({ browser }) => {
  test.setTimeout(120_000);
  const viewport = { width: 1280, height: 800 };
  const ana = await agent(browser, viewport);
  const ben = await agent(browser, viewport);
  await dial(ana.page, ECHO);
  const anaPanel = ana.page.getByTestId("call-panel");
  await expect(anaPanel).toHaveAttribute("data-state", "connected");

  await consult(ana.page, ben.email);
  const status = ana.page.getByTestId("transfer-status");
  await expect(status).toContainText(`Calling ${ben.email} to consult`);
  await expect(anaPanel).toHaveAttribute("data-state", "held");
  // Held and nobody to consult yet: Ana hears nothing.
  await ana.page.waitForTimeout(800);
  expect((await listen(ana.page, 440, 600)).rms).toBeLessThan(0.005);
  const incoming = ben.page.getByTestId("incoming-call");
  await expect(incoming).toBeVisible();
  await expect(incoming).toContainText("Consultation");
  await ben.page.getByTestId("incoming-answer").click();

  const benPanel = ben.page.getByTestId("call-panel");
  await expect(benPanel).toHaveAttribute("data-state", "connected");
  await expect(ben.page.getByTestId("call-state")).toContainText(`Consultation · ${ana.email}`);
  // The call is still Ana's: Ben cannot hold or transfer it, and nothing asks him to record.
  await expect(ben.page.getByTestId("hold-button")).toHaveCount(0);
  await expect(ben.page.getByTestId("transfer-button")).toHaveCount(0);
  await expect(ben.page.getByTestId("record-ask")).toHaveCount(0);
  await expect(status).toContainText(`Talking to ${ben.email}`);
  // They hear each other.
  await expect.poll(async () => (await listen(ana.page, 440, 600)).rms, { timeout: 15_000 }).toBeGreaterThan(0.01);
  await expect.poll(async () => (await listen(ben.page, 440, 600)).rms, { timeout: 15_000 }).toBeGreaterThan(0.01);

  await ana.page.getByTestId("transfer-complete").click();
  await expect(anaPanel).toHaveAttribute("data-state", "ended");
  await expect(ana.page.getByTestId("call-state")).toContainText(`Transferred to ${ben.email}`);
  await expect(ben.page.getByTestId("call-state")).not.toContainText("Consultation");
  await expect(benPanel).toHaveAttribute("data-state", "connected");
  await expect(ben.page.getByTestId("hold-button")).toBeVisible();
  // Ben now talks with the caller (the echo number sends his microphone back).
  await expect.poll(async () => (await listen(ben.page, 440, 600)).rms, { timeout: 15_000 }).toBeGreaterThan(0.01);
  await ben.page.getByTestId("end-call").click();
  await expect(benPanel).toHaveAttribute("data-state", "ended");

  await ana.page.goto("/recents");
  await hydrated(ana.page);
  await expect(ana.page.getByTestId("call-row").first()).toContainText(`Transferred to ${ben.email}`);
  await ben.page.goto("/recents");
  await hydrated(ben.page);
  const benRow = ben.page.locator('[data-testid="call-row"][data-direction="inbound"]').first();
  await expect(benRow).toContainText(`Transferred from ${ana.email}`);
  await Promise.all([ana.context.close(), ben.context.close()]);
});

test("on phone: Ana consults Ben, then Return to customer: his side ends, she talks with the caller again", async ({ browser }) => {
  test.setTimeout(120_000);
  const viewport = { width: 390, height: 844 };
  const ana = await agent(browser, viewport);
  const ben = await agent(browser, viewport);
  await dial(ana.page, ECHO);
  const anaPanel = ana.page.getByTestId("call-panel");
  await expect(anaPanel).toHaveAttribute("data-state", "connected");
  await consult(ana.page, ben.email);
  await ben.page.getByTestId("incoming-answer").click();
  const status = ana.page.getByTestId("transfer-status");
  await expect(status).toContainText(`Talking to ${ben.email}`);

  await ana.page.getByTestId("transfer-return").click();
  await expect(ben.page.getByTestId("call-panel")).toHaveAttribute("data-state", "ended");
  await expect(anaPanel).toHaveAttribute("data-state", "connected");
  await expect(status).toHaveCount(0);
  // The echo number again: her own microphone comes back.
  await expect.poll(async () => (await listen(ana.page, 440, 600)).rms, { timeout: 15_000 }).toBeGreaterThan(0.01);
  await ana.page.getByTestId("end-call").click();
  await expect(anaPanel).toHaveAttribute("data-state", "ended");
  await Promise.all([ana.context.close(), ben.context.close()]);
});
