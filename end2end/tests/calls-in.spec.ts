import AxeBuilder from "@axe-core/playwright";
import { expect, Page, test } from "@playwright/test";
import { execFileSync } from "node:child_process";
import * as os from "node:os";
import * as path from "node:path";
import { expectEchoThenMuteSilences } from "./audio";
import { dial, hydrated, PASSWORD, signUp, watchPanics } from "./helpers";

// The simulator's calling-back number answers, hangs up after 2 s and calls the caller ID back
// 5 s later; the call back rings the agent who called it (README, docs/telephony.md "Calls in").
const CALLS_BACK = "+65 6000 0008";
const ECHO = "+65 6000 0001";
const OUR_NUMBER = "+65 6000 0000";

// The calling-back number is one customer, and its call back rings whoever called it last: two
// of these tests at once would each take the other's call back. They run one after another.
test.describe.configure({ mode: "serial" });

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
      const panics = watchPanics(page);
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
      // Answering while the last call's end still shows replaces its screen cleanly.
      expect(panics()).toEqual([]);
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
  await expect(page.getByTestId("call-name")).toContainText(CALLS_BACK, { timeout: 10_000 });
  await expect(panel).toHaveAttribute("data-state", "connected", { timeout: 10_000 });
  await expectEchoThenMuteSilences(page, 800, 1000);
  await page.getByTestId("end-call").click();
});

/** Makes `email` an administrator, as the operator does (`server users grant-admin`). */
function grantAdmin(email: string): void {
  const targetDir = process.env.CARGO_TARGET_DIR ?? path.join(os.homedir(), ".cache/softphone/target");
  execFileSync(`${targetDir}/debug/server`, ["users", "grant-admin", email], {
    env: { PATH: process.env.PATH, SOFTPHONE_DATA_DIR: process.env.E2E_DATA_DIR },
    encoding: "utf8",
  });
}

/** The built-in simulator calls `to` from `from` (the embedded default's hook); the status. */
async function simulatorCalls(page: Page, from: string, to: string): Promise<number> {
  return page.evaluate(async ([from, to]) => {
    const response = await fetch("/api/simulator/calls", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ from, to }),
    });
    return response.status;
  }, [from, to]);
}

test("a number assigned to two agents rings both; the first to answer gets it, the other sees it go", async ({ browser }) => {
  test.setTimeout(120_000);
  const SUPPORT = "+6562220000";
  const [first, second] = [await browser.newContext(), await browser.newContext()];
  const [admin, agent] = [await first.newPage(), await second.newPage()];
  const adminEmail = await signUp(admin);
  const agentEmail = await signUp(agent);

  // The administrator's role counts from their next sign-in.
  grantAdmin(adminEmail);
  await first.clearCookies();
  await admin.goto("/signin");
  await hydrated(admin);
  await admin.getByLabel("Email").fill(adminEmail);
  await admin.getByLabel("Password").fill(PASSWORD);
  await admin.getByRole("button", { name: "Sign in" }).click();
  await expect(admin.getByRole("heading", { name: "Keypad" })).toBeVisible();
  // A call in rings the agents whose app is connected when it comes.
  await expect(admin.locator("nav[data-live]")).toHaveAttribute("data-live", "connected");
  const token = (await first.cookies()).find((c) => c.name === "sp_access")!.value;
  const put = await admin.request.put(`/api/v1/admin/numbers/${encodeURIComponent(SUPPORT)}`, {
    headers: { Authorization: `Bearer ${token}` },
    data: { assignment: { members: [adminEmail, agentEmail] }, unassigned: "refuse" },
  });
  expect(put.status(), await put.text()).toBe(200);
  await hydrated(agent);
  await expect(agent.locator("nav[data-live]")).toHaveAttribute("data-live", "connected");

  // The hook: only for a signed-in user, with numbers of the simulated network.
  expect(await simulatorCalls(agent, "+14155550100", SUPPORT)).toBe(422);
  // A caller no other test calls: a customer's last agent would ring alone first.
  expect(await simulatorCalls(agent, "+6598765432", SUPPORT)).toBe(202);
  const [ringingAdmin, ringingAgent] = [admin.getByTestId("incoming-call"), agent.getByTestId("incoming-call")];
  await expect(ringingAdmin).toBeVisible({ timeout: 15_000 });
  await expect(ringingAgent).toBeVisible();
  await expect(ringingAgent.getByTestId("incoming-to")).toContainText("+65 6222 0000");

  await agent.getByTestId("incoming-answer").click();
  const panel = agent.getByTestId("call-panel");
  await expect(panel).toHaveAttribute("data-state", "connected", { timeout: 10_000 });
  await expect(ringingAdmin).toBeHidden();
  await expect(admin.getByTestId("ringtone")).toHaveCount(0);
  await expectEchoThenMuteSilences(agent, 800, 1000);
  await agent.getByTestId("end-call").click();
  await expect(panel).toHaveAttribute("data-state", "ended");

  const signedOut = await browser.newContext();
  const stranger = await signedOut.newPage();
  await stranger.goto("/signin");
  expect(await simulatorCalls(stranger, "+6591234567", SUPPORT)).toBe(401);
  await Promise.all([first.close(), second.close(), signedOut.close()]);
});
