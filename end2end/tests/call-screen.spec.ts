import { expect, Locator, Page, test } from "@playwright/test";
import { hearKeys } from "./audio";
import { dial, signUp } from "./helpers";

// The call screen keeps its elements for the life of the call: a button pressed while the
// server re-sends the call (a state change, a mute from another tab, the recording) is the same
// button when it is released, so the press is never lost. Each press below is held down across
// such a re-send, which is what a slow thumb does on a phone.

// Test numbers of the built-in PSTN simulator (README, docs/telephony.md).
const ECHO = "+65 6000 0001";
const READ_BACK = "+65 6000 0002";

/** Counts the call updates the page's live channel receives. Call before the page loads. */
function callUpdates(page: Page): () => number {
  let count = 0;
  page.on("websocket", (ws) => {
    if (!ws.url().endsWith("/api/live")) return;
    ws.on("framereceived", (frame) => {
      if (typeof frame.payload === "string" && frame.payload.includes('"type":"call"')) count += 1;
    });
  });
  return () => count;
}

/**
 * Another tab of the same user, as the server sees it: its own live connection, which sends a
 * mute toggle. The server re-sends the call to every tab whenever the call changes.
 */
async function otherTab(page: Page): Promise<{ toggleMute: () => Promise<void>; close: () => Promise<void> }> {
  const other = await page.context().newPage();
  await other.goto("/healthz");
  await other.evaluate(async () => {
    const ws = new WebSocket(`ws://${location.host}/api/live`);
    const hello = await new Promise<any>((resolve, reject) => {
      ws.onmessage = (m) => resolve(JSON.parse(m.data));
      ws.onerror = reject;
    });
    if (!hello.call) throw new Error("the other tab sees no call");
    const live = { ws, callId: hello.call.id, muted: Boolean(hello.call.state?.Connected?.muted) };
    // Follows the call's mute as the server has it (this page may mute too), so each toggle
    // really changes the call and the server re-sends it.
    ws.onmessage = (m) => {
      const message = JSON.parse(m.data);
      const connected = message.type === "call" && message.call?.state?.Connected;
      if (connected) live.muted = connected.muted;
    };
    (window as any).__live = live;
  });
  return {
    toggleMute: () =>
      other.evaluate(() => {
        const live = (window as any).__live;
        live.muted = !live.muted;
        live.ws.send(JSON.stringify({ type: "mute", call_id: live.callId, muted: live.muted }));
      }),
    close: () => other.close(),
  };
}

/**
 * Presses `target` (mouse down), lets `meanwhile` happen, waits for the page to draw what it
 * caused, then releases (mouse up). A click only fires if the pressed element is still there.
 */
async function pressAcross(page: Page, target: Locator, meanwhile: () => Promise<void>): Promise<void> {
  await target.scrollIntoViewIfNeeded();
  const box = await target.boundingBox();
  if (!box) throw new Error("the button is not on screen");
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await meanwhile();
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  await page.mouse.up();
}

for (const [label, viewport] of [
  ["desktop", { width: 1280, height: 800 }],
  ["phone", { width: 390, height: 844 }],
] as const) {
  test.describe(`the call screen on ${label}`, () => {
    test.use({ viewport });

    test("every control of a call is whole on the screen, none clipped", async ({ page }) => {
      test.setTimeout(60_000);
      await signUp(page);
      await dial(page, ECHO);
      const panel = page.getByTestId("call-panel");
      await expect(panel).toHaveAttribute("data-state", "connected", { timeout: 15_000 });
      const area = await panel.boundingBox();
      if (!area) throw new Error("no call panel");
      const controls = ["mute-button", "hold-button", "transfer-button", "keypad-toggle"].map((id) =>
        page.getByTestId(id),
      );
      controls.push(page.getByTestId("output-select").or(page.getByTestId("output-fixed")));
      for (const control of controls) {
        await expect(control).toBeVisible();
        const box = await control.boundingBox();
        if (!box) throw new Error("a control has no box");
        // Inside the panel (and so the screen) from side to side, label included.
        expect(box.x).toBeGreaterThanOrEqual(area.x);
        expect(box.x + box.width).toBeLessThanOrEqual(area.x + area.width + 0.5);
        expect(await control.evaluate((e) => e.scrollWidth <= e.clientWidth)).toBe(true);
      }
      await page.getByTestId("end-call").click();
      await expect(panel).toHaveAttribute("data-state", "ended");
    });

    test("every button takes its press while the server re-sends the call", async ({ page }) => {
      test.setTimeout(90_000);
      const updates = callUpdates(page);
      await signUp(page);
      await dial(page, READ_BACK);
      const panel = page.getByTestId("call-panel");
      await expect(panel).toHaveAttribute("data-state", "connected", { timeout: 15_000 });
      const other = await otherTab(page);
      // The other tab mutes or unmutes, and this tab has received the call it caused.
      const resent = async () => {
        const before = updates();
        await other.toggleMute();
        await expect.poll(updates).toBeGreaterThan(before);
      };

      await pressAcross(page, page.getByTestId("keypad-toggle"), resent);
      await expect(page.getByTestId("keypad-toggle")).toHaveAttribute("aria-expanded", "true");
      await pressAcross(page, page.getByTestId("mute-button"), resent);
      await expect(page.getByTestId("mute-button")).toHaveAttribute("aria-pressed", "true");
      await expect(page.getByTestId("muted-note")).toBeVisible();

      // Keys: the read-back number plays back each one that was sent (muted, so only they return).
      await page.waitForTimeout(1200);
      // Long enough for the three presses, each across a re-sent call, on a loaded machine.
      const listening = hearKeys(page, 9000);
      for (const key of ["1", "5", "#"]) {
        await pressAcross(page, page.locator(`[data-dtmf="${key}"]`), resent);
        await page.waitForTimeout(600);
      }
      expect(await listening).toBe("15#");

      // Recording: start from the question, pause, resume, stop.
      const rec = page.getByTestId("rec-indicator");
      await pressAcross(page, page.getByTestId("record-ask").getByTestId("record-start"), resent);
      await expect(rec).toHaveAttribute("data-state", "recording");
      await pressAcross(page, page.getByTestId("record-pause"), resent);
      await expect(rec).toHaveAttribute("data-state", "paused");
      await pressAcross(page, page.getByTestId("record-resume"), resent);
      await expect(rec).toHaveAttribute("data-state", "recording");
      await pressAcross(page, page.getByTestId("record-stop"), resent);
      await expect(rec).toHaveAttribute("data-state", "stopped");

      // The keypad and mute again, now across the server's own recording updates too.
      await pressAcross(page, page.getByTestId("mute-button"), resent);
      await expect(page.getByTestId("mute-button")).toHaveAttribute("aria-pressed", "false");
      await pressAcross(page, page.getByTestId("keypad-toggle"), resent);
      await expect(page.getByTestId("keypad-toggle")).toHaveAttribute("aria-expanded", "false");

      await pressAcross(page, page.getByTestId("end-call"), resent);
      await expect(panel).toHaveAttribute("data-state", "ended");
      await other.close();
    });
  });
}

test("End pressed while the call rings and released once it is answered ends the call", async ({ page }) => {
  test.setTimeout(60_000);
  await signUp(page);
  await dial(page, ECHO);
  const panel = page.getByTestId("call-panel");
  await expect(panel).toHaveAttribute("data-state", "ringing", { timeout: 10_000 });
  await pressAcross(page, page.getByTestId("end-call"), () =>
    expect(panel).toHaveAttribute("data-state", "connected", { timeout: 15_000 }),
  );
  await expect(panel).toHaveAttribute("data-state", "ended");
  await expect(page.getByTestId("call-state")).toContainText("Call ended");
});

test("'Not now' stays answered when the call is re-sent by a mute and an unmute", async ({ page }) => {
  test.setTimeout(60_000);
  const updates = callUpdates(page);
  await signUp(page);
  await dial(page, ECHO);
  await expect(page.getByTestId("call-panel")).toHaveAttribute("data-state", "connected", { timeout: 15_000 });
  await expect(page.getByTestId("record-ask")).toBeVisible();
  await page.getByTestId("record-not-now").click();
  await expect(page.getByTestId("record-ask")).toHaveCount(0);
  // Recording is still offered, as a plain button.
  await expect(page.getByTestId("record-start")).toBeVisible();

  for (const pressed of ["true", "false"]) {
    const before = updates();
    await page.getByTestId("mute-button").click();
    await expect(page.getByTestId("mute-button")).toHaveAttribute("aria-pressed", pressed);
    await expect.poll(updates).toBeGreaterThan(before);
  }
  await expect(page.getByTestId("record-ask")).toHaveCount(0);
  await expect(page.getByTestId("record-start")).toBeVisible();
  await page.getByTestId("end-call").click();
  await expect(page.getByTestId("call-panel")).toHaveAttribute("data-state", "ended");
});

test.describe("the call screen's code arriving late", () => {
  // The page's own requests only: a service worker's fetches would pass by the route below.
  test.use({ serviceWorkers: "block" });

  test("a call dialled before the call screen's code has arrived gets its screen when the code does", async ({ page }) => {
    test.setTimeout(60_000);
    await signUp(page);
    // The split build's call screen chunk (app/src/components/call_panel.rs) held back until released.
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    let asked = false;
    await page.route(/\/pkg\/split_call_screens_split_[^/]*\.wasm$/, async (route) => {
      asked = true;
      await held;
      await route.continue();
    });
    await dial(page, ECHO);
    // The call goes ahead without its screen meanwhile (the server answers with its state).
    await expect.poll(() => asked).toBe(true);
    await page.waitForTimeout(1500);
    await expect(page.getByTestId("call-panel")).toHaveCount(0);
    release();
    const panel = page.getByTestId("call-panel");
    await expect(panel).toHaveAttribute("data-state", /ringing|connected/, { timeout: 15_000 });
    await expect(panel).toHaveAttribute("data-state", "connected", { timeout: 15_000 });
    await page.getByTestId("end-call").click();
    await expect(panel).toHaveAttribute("data-state", "ended");
  });
});
