import { expect, test } from "@playwright/test";
import { listen } from "./audio";
import { dial, hydrated, latestCallWithQuality, signUp } from "./helpers";

// A call over a network that starts dropping packets, then recovers (docs/quality.md,
// docs/security.md "lossy, jittery network"). The server on port + 3 reaches the PSTN simulator
// as a SIP trunk through testkit's impairing relay (impaired-pstn, control on port + 4): both the
// browser leg and the trunk leg cross it. This kernel has no `tc netem`; the relay stands in.

const port = Number(process.env.E2E_PORT ?? 3100);
const control = `http://127.0.0.1:${port + 4}`;
test.use({ baseURL: `http://127.0.0.1:${port + 3}` });

const ECHO = "+65 6000 0001";

// Both tests set the relay's one impairment level: one at a time.
test.describe.configure({ mode: "serial" });

async function setNetwork(loss: number, jitterMs: number): Promise<void> {
  const answer = await fetch(`${control}/level?loss=${loss}&jitter_ms=${jitterMs}`, { method: "POST" });
  expect(answer.status, await answer.text()).toBe(200);
}

/** Datagrams the relay has dropped so far, over every direction. */
async function dropped(): Promise<number> {
  const lines = (await (await fetch(`${control}/counts`)).text()).trim().split("\n");
  return lines.map((l) => Number(l.split(" ")[3] ?? 0)).reduce((a, b) => a + b, 0);
}

test("10 % loss and 40 ms jitter on both legs: the call stays up, the audio goes on, the loss is warned of and the warning clears once the network recovers", async ({ page }) => {
  test.setTimeout(120_000);
  await setNetwork(0, 0);
  await signUp(page);
  await dial(page, ECHO);
  const panel = page.getByTestId("call-panel");
  await expect(panel).toHaveAttribute("data-state", "connected", { timeout: 20_000 });
  const quality = page.getByTestId("call-quality");
  await expect(quality).toBeVisible({ timeout: 15_000 });
  await expect.poll(async () => Number(await quality.getAttribute("data-bars")), { timeout: 10_000 }).toBeGreaterThanOrEqual(4);
  const loss = page.locator('[data-testid="quality-warnings"] [data-warning="high_packet_loss"]');
  await expect(loss).toHaveCount(0);

  const droppedBefore = await dropped();
  await setNetwork(0.1, 40);
  // Raised on 3 of 5 one-second samples over 1 %: a few seconds, more on a loaded machine.
  await expect(loss).toHaveText("Your connection is dropping audio.", { timeout: 20_000 });
  await expect.poll(async () => Number(await quality.getAttribute("data-bars")), { timeout: 10_000 }).toBeLessThanOrEqual(3);
  // The echo still comes back through the loss (the fake microphone's 440 Hz tone).
  const heard = await listen(page, 440, 2000);
  expect(heard.rms).toBeGreaterThan(0.01);
  expect(heard.purity).toBeGreaterThan(0.3);
  expect(await dropped()).toBeGreaterThan(droppedBefore + 20);
  await expect(panel).toHaveAttribute("data-state", "connected");

  await setNetwork(0, 0);
  // Cleared 5 s after the last bad sample, and after the 7 s average has recovered.
  await expect(loss).toBeHidden({ timeout: 25_000 });
  await expect.poll(async () => Number(await quality.getAttribute("data-bars")), { timeout: 15_000 }).toBeGreaterThanOrEqual(4);
  await expect(panel).toHaveAttribute("data-state", "connected");
  await page.getByTestId("end-call").click();
  await expect(panel).toHaveAttribute("data-state", "ended");

  // The call's page keeps what the agent was warned of, and how bad the network got.
  const summary = await latestCallWithQuality(page);
  await expect(summary.locator('[data-warning="high_packet_loss"]')).toHaveText("Your connection is dropping audio.");
  const worstLoss = Number(((await summary.textContent()) ?? "").match(/Packets lost: up to (\d+\.\d) %/)?.[1]);
  expect(worstLoss).toBeGreaterThan(3);
  // The trunk leg crossed the lossy network too: the gateway saw its packets go missing.
  const trunk = (await summary.getByTestId("call-view-trunk").textContent()) ?? "";
  const [, trunkLoss, lost] = trunk.match(/side: (\d+\.\d) % of its packets lost \((\d+) of \d+\)/) ?? [];
  expect(Number(lost)).toBeGreaterThan(10);
  expect(Number(trunkLoss)).toBeGreaterThan(1);
});

test("the pre-call check's network test through 10 % loss reads poor, and good again once the network recovers", async ({ page }) => {
  test.setTimeout(90_000);
  await setNetwork(0.1, 40);
  try {
    await signUp(page);
    await page.goto("/settings");
    await hydrated(page);
    const check = page.getByTestId("precall-check");
    const verdict = check.getByTestId("precall-verdict");
    await check.getByRole("button", { name: "Test connection" }).click();
    await expect(verdict).toHaveAttribute("data-verdict", "poor", { timeout: 30_000 });
    await expect(verdict).toHaveText("Poor: calls will likely break up. Try a wired connection or another network.");
    expect(Number((await check.getByTestId("precall-loss").textContent())?.replace(" %", ""))).toBeGreaterThan(3);
    await setNetwork(0, 0);
    await check.getByRole("button", { name: "Test connection" }).click();
    await expect(verdict).toHaveAttribute("data-verdict", "good", { timeout: 30_000 });
  } finally {
    await setNetwork(0, 0);
  }
});
