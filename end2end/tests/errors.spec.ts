import { expect, test } from "@playwright/test";
import { hydrated, signUp } from "./helpers";

test("a list that fails to load says why, and Try again loads it", async ({ page }) => {
  await signUp(page);
  await hydrated(page);
  let fail = true;
  await page.route("**/calls/list*", (route) => (fail ? route.abort() : route.continue()));
  await page.getByRole("link", { name: "Recents" }).click();
  await expect(page.getByTestId("load-error")).toContainText("Could not reach the server");
  fail = false;
  await page.getByTestId("load-error").getByRole("button", { name: "Try again" }).click();
  await expect(page.getByTestId("empty-state")).toContainText("No calls yet");
});

test("a session that ended while the app was open leads to sign-in", async ({ page, context }) => {
  await signUp(page);
  await hydrated(page);
  await context.clearCookies();
  await page.getByRole("link", { name: "Contacts" }).click();
  await expect(page).toHaveURL(/\/signin$/);
});

test("Settings says when the browser did not keep a choice", async ({ page }) => {
  await signUp(page);
  // A browser that keeps no cookies the page writes (the session cookies are the server's).
  await page.addInitScript(() => {
    Object.defineProperty(Document.prototype, "cookie", { get: () => "", set: () => {}, configurable: true });
  });
  await page.goto("/settings");
  await hydrated(page);
  const status = page.getByTestId("appearance-status");
  await expect(status).toBeEmpty();
  await page.getByLabel("Dark").check();
  // The choice still applies to this page.
  await expect(page.locator("html")).toHaveAttribute("data-theme", "dark");
  await expect(status).toContainText("this browser did not save it");
});
