import { APIRequestContext, expect, Page, test } from "@playwright/test";
import { hydrated, signUp } from "./helpers";

// Click to dial asks first (the default, "Ask before calls from integrations"): a call placed
// through the REST API shows "Call +65 6000 0001?" in the app, the microphone opens only on
// Call, and Cancel or Escape ends the call, which the REST caller then reads as cancelled.
const ECHO = "+65 6000 0001";

/** Counts the app's microphone requests (getUserMedia) in this page. */
async function countMicrophone(page: Page): Promise<void> {
  await page.addInitScript(() => {
    (window as any).__micOpened = 0;
    const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
    navigator.mediaDevices.getUserMedia = async (c) => {
      (window as any).__micOpened += 1;
      return original(c);
    };
  });
}

const micOpened = (page: Page) => page.evaluate(() => (window as any).__micOpened as number);

/** Places the call through the REST API once the app's live channel is up. */
async function placeCall(request: APIRequestContext, headers: Record<string, string>): Promise<any> {
  let placed: any;
  await expect.poll(async () => {
    const response = await request.post("/api/v1/calls", { headers, data: { number: ECHO } });
    placed = await response.json();
    return response.status() === 201 ? "placed" : placed.code;
  }, { timeout: 10_000 }).toBe("placed");
  return placed;
}

async function signedIn(page: Page, context: any): Promise<Record<string, string>> {
  await countMicrophone(page);
  await signUp(page);
  await hydrated(page);
  const token = (await context.cookies()).find((c: any) => c.name === "sp_access")!.value;
  return { Authorization: `Bearer ${token}` };
}

test("a REST call waits for the agent's Call before the microphone opens", async ({ page, context }) => {
  test.setTimeout(60_000);
  const headers = await signedIn(page, context);
  const placed = await placeCall(page.request, headers);

  const dialog = page.getByRole("alertdialog", { name: "Call +65 6000 0001?" });
  await expect(dialog).toBeVisible();
  await expect(page.getByTestId("confirm-call-accept")).toBeFocused();
  // It waits: no microphone, no answer, not over.
  await page.waitForTimeout(1_500);
  expect(await micOpened(page)).toBe(0);
  const waiting = await (await page.request.get(`/api/v1/calls/${placed.id}`, { headers })).json();
  expect(waiting.answered_at).toBeNull();
  expect(waiting.end_reason).toBeNull();

  await page.getByTestId("confirm-call-accept").click();
  await expect(dialog).toBeHidden();
  await expect(page.getByTestId("call-panel")).toHaveAttribute("data-state", "connected", { timeout: 15_000 });
  expect(await micOpened(page)).toBe(1);
  await page.getByTestId("end-call").click();
  await expect.poll(async () =>
    (await (await page.request.get(`/api/v1/calls/${placed.id}`, { headers })).json()).end_reason,
  ).toBe("completed");
});

test("Cancel or Escape ends the REST call, and its caller reads it as cancelled", async ({ page, context }) => {
  test.setTimeout(60_000);
  const headers = await signedIn(page, context);

  for (const answer of ["Escape", "Cancel"]) {
    const placed = await placeCall(page.request, headers);
    const dialog = page.getByRole("alertdialog", { name: "Call +65 6000 0001?" });
    await expect(dialog).toBeVisible();
    if (answer === "Escape") {
      await page.keyboard.press("Escape");
    } else {
      await dialog.getByRole("button", { name: "Cancel" }).click();
    }
    await expect(dialog).toBeHidden();
    await expect.poll(async () => {
      const call = await (await page.request.get(`/api/v1/calls/${placed.id}`, { headers })).json();
      return [call.end_reason, call.hangup_by, call.sip_cause];
    }).toEqual(["cancelled", "agent", "declined in the app"]);
  }
  expect(await micOpened(page)).toBe(0);
});

test("with asking turned off in Settings, a REST call is taken up at once", async ({ page, context }) => {
  test.setTimeout(60_000);
  const headers = await signedIn(page, context);
  await page.goto("/settings");
  await hydrated(page);
  const ask = page.getByLabel("Ask before calls from integrations");
  await expect(ask).toBeChecked();
  await ask.uncheck();
  await expect(page.getByTestId("confirm-api-calls-status")).toHaveText("Saved.");
  await page.reload();
  await hydrated(page);
  await expect(page.getByLabel("Ask before calls from integrations")).not.toBeChecked();

  const placed = await placeCall(page.request, headers);
  await expect(page.getByTestId("call-panel")).toHaveAttribute("data-state", "connected", { timeout: 15_000 });
  await expect(page.getByRole("alertdialog")).toHaveCount(0);
  expect(await micOpened(page)).toBe(1);
  await page.getByTestId("end-call").click();
  await expect.poll(async () =>
    (await (await page.request.get(`/api/v1/calls/${placed.id}`, { headers })).json()).end_reason,
  ).toBe("completed");
});
