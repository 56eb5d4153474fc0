import { expect, test } from "@playwright/test";
import { hydrated, signUp } from "./helpers";

// Integration tokens: made in Settings, shown once (with a copy button), used by another
// program (a request context with no cookies, as curl would be), limited to its scopes, and
// dead the moment it is revoked.
test("a token made in Settings reaches its scopes only, until it is revoked", async ({ page, context, playwright, baseURL }) => {
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  await signUp(page);
  await page.goto("/settings");
  await hydrated(page);

  const section = page.getByTestId("token-settings");
  await expect(section.getByRole("heading", { name: "Integration tokens" })).toBeVisible();
  await expect(section).toContainText("No tokens yet.");
  // Neither name nor scope: refused, with the reason.
  await section.getByTestId("token-create").click();
  await expect(section.getByTestId("token-status")).toHaveText("Give the token a name.");
  await section.getByLabel("Name").fill("CRM sync");
  await section.getByTestId("token-create").click();
  await expect(section.getByTestId("token-status")).toHaveText("Choose at least one scope.");

  await section.getByTestId("token-scope-contacts:read").check();
  await section.getByTestId("token-lifetime").selectOption("30");
  await section.getByTestId("token-create").click();
  const secret = (await section.getByTestId("token-secret").textContent())!.trim();
  expect(secret).toMatch(/^sp_pat_[A-Za-z0-9_-]{43}$/);
  await section.getByTestId("token-copy").click();
  await expect(section.getByTestId("token-copy")).toHaveText("Copied");
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);

  const row = section.getByTestId("token-row");
  await expect(row).toHaveCount(1);
  await expect(row.getByTestId("token-name")).toHaveText("CRM sync");
  await expect(row.getByTestId("token-scopes")).toHaveText("contacts:read");
  await expect(row).toContainText("Never used");
  await expect(row).toContainText("Expires");

  // Shown once: after a reload only its name, scopes and dates.
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId("token-row")).toHaveCount(1);
  await expect(page.getByTestId("token-secret")).toHaveCount(0);
  expect(await page.content()).not.toContain(secret);

  const api = await playwright.request.newContext({ baseURL });
  const headers = { Authorization: `Bearer ${secret}` };
  const contacts = await api.get("/api/v1/contacts", { headers });
  expect(contacts.status()).toBe(200);
  expect((await contacts.json()).items).toEqual([]);
  const write = await api.post("/api/v1/contacts", {
    headers,
    data: { name: "Ana", numbers: [{ number: "+507 6123-4567" }] },
  });
  expect(write.status()).toBe(403);
  const problem = await write.json();
  expect(problem.code).toBe("MissingScope");
  expect(problem.detail).toContain("contacts:write");

  // Its use shows in Settings.
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId("token-row")).toContainText("Last used");

  await page.getByTestId("token-revoke").click();
  await expect(page.getByTestId("token-status")).toHaveText("Token revoked.");
  await expect(page.getByTestId("token-row")).toHaveCount(0);
  const after = await api.get("/api/v1/contacts", { headers });
  expect(after.status()).toBe(401);
  await api.dispose();
});
