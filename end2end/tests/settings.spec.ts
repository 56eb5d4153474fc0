import { expect, test } from "@playwright/test";
import { hydrated, signUp } from "./helpers";

test("language switch: every label follows, and the choice is remembered", async ({ page }) => {
  await signUp(page);
  await page.goto("/settings");
  await hydrated(page);
  await page.getByLabel("Language").selectOption("es");
  await expect(page.getByRole("heading", { name: "Ajustes" })).toBeVisible();
  await expect(page.getByRole("navigation")).toContainText("Teclado");
  await page.reload();
  await expect(page.locator("html")).toHaveAttribute("lang", "es");
  await expect(page.getByRole("navigation")).toContainText("Contactos");

  await hydrated(page);
  await page.getByLabel("Idioma").selectOption("zh-Hans");
  await expect(page.getByRole("heading", { name: "设置" })).toBeVisible();
  await page.goto("/");
  await expect(page.getByRole("heading", { name: "拨号" })).toBeVisible();
  await hydrated(page);
  await page.getByLabel("电话号码").pressSequentially("+6581234567");
  await expect(page.getByTestId("dial-verdict")).toHaveText("手机 · 新加坡");
});

test("theme switch sets and remembers dark mode", async ({ page }) => {
  await signUp(page);
  await page.goto("/settings");
  await hydrated(page);
  await page.getByLabel("Dark").check();
  await expect(page.locator("html")).toHaveAttribute("data-theme", "dark");
  await page.reload();
  await expect(page.locator("html")).toHaveAttribute("data-theme", "dark");
  const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  expect(background).not.toBe("rgb(255, 255, 255)");
});

test("recents starts with an honest empty state", async ({ page }) => {
  await signUp(page);
  await page.goto("/recents");
  await expect(page.getByTestId("empty-state")).toContainText("No calls yet");
  await hydrated(page);
  await page.getByRole("button", { name: "Failed" }).click();
  await expect(page.getByRole("button", { name: "Failed" })).toHaveAttribute("aria-pressed", "true");
  await expect(page.getByTestId("empty-state")).toContainText("Nothing matches your search.");
});
