import { expect, test } from "@playwright/test";
import { hydrated, PASSWORD, signUp, uniqueEmail } from "./helpers";

// Click to dial: another app places the call through the REST API; the agent's open softphone
// takes it up (microphone, offer) as if it had been dialled there, once the agent has said Call.
const ECHO = "+65 6000 0001";

test("a call placed through the REST API is taken up by the open app", async ({ page, context }) => {
  test.setTimeout(60_000);
  await signUp(page);
  await hydrated(page);
  const token = (await context.cookies()).find((c) => c.name === "sp_access")!.value;
  const headers = { Authorization: `Bearer ${token}` };

  // The app's live channel connects a moment after the page loads; until then the API says
  // that no app is open.
  let placed: any;
  await expect.poll(async () => {
    const response = await page.request.post("/api/v1/calls", { headers, data: { number: ECHO } });
    placed = await response.json();
    return response.status() === 201 ? "placed" : placed.code;
  }, { timeout: 10_000 }).toBe("placed");
  expect(placed.number).toBe("+6560000001");
  expect(placed.direction).toBe("outbound");

  // The agent confirms it in the app first (api-confirm.spec.ts tells that story).
  await page.getByTestId("confirm-call-accept").click();
  const panel = page.getByTestId("call-panel");
  await expect(panel).toHaveAttribute("data-state", "connected", { timeout: 15_000 });
  const answered = await (await page.request.get(`/api/v1/calls/${placed.id}`, { headers })).json();
  expect(answered.answered_at).toBeGreaterThan(0);

  // One call at a time, whoever places it.
  const second = await page.request.post("/api/v1/calls", { headers, data: { number: ECHO } });
  expect(second.status()).toBe(409);
  expect((await second.json()).code).toBe("CallInProgress");

  await page.getByTestId("end-call").click();
  await expect.poll(async () =>
    (await (await page.request.get(`/api/v1/calls/${placed.id}`, { headers })).json()).end_reason,
  ).toBe("completed");
});

test("without the app open, the REST API says the call has nowhere to go", async ({ playwright, baseURL }) => {
  const api = await playwright.request.newContext({ baseURL });
  const email = uniqueEmail("rest");
  const signedUp = await api.post("/api/auth/sign_up", {
    headers: { Origin: baseURL! },
    data: { email, password: PASSWORD, confirm: PASSWORD },
  });
  expect(signedUp.status()).toBe(200);
  const token = (await api.storageState()).cookies.find((c) => c.name === "sp_access")!.value;
  const response = await api.post("/api/v1/calls", {
    headers: { Authorization: `Bearer ${token}` },
    data: { number: ECHO },
  });
  expect(response.status()).toBe(409);
  expect(response.headers()["content-type"]).toBe("application/problem+json");
  expect((await response.json()).code).toBe("AppNotOpen");
  // A number that may not be dialled is refused for what it is.
  const refused = await api.post("/api/v1/calls", {
    headers: { Authorization: `Bearer ${token}` },
    data: { number: "+65 1900 123 4567" },
  });
  expect(refused.status()).toBe(422);
  expect(await refused.json()).toMatchObject({ code: "NumberRefused", errors: "premium_rate" });
  await api.dispose();
});
