import AxeBuilder from "@axe-core/playwright";
import { expect, Page, test } from "@playwright/test";
import { hydrated, signUp } from "./helpers";

async function seriousViolations(page: Page) {
  await hydrated(page);
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
}

test("public pages have no serious accessibility violations", async ({ page }) => {
  for (const path of ["/signin", "/signup", "/forgot"]) {
    await page.goto(path);
    expect(await seriousViolations(page), path).toEqual([]);
  }
});

for (const theme of ["light", "dark"]) {
  test(`app pages have no serious accessibility violations (${theme})`, async ({ page, context }) => {
    // Sign-up, a contact and seven full page loads, each analysed by axe: ~25 s alone on two
    // cores, more beside the other workers' calls.
    test.setTimeout(90_000);
    await signUp(page);
    await context.addCookies([{ name: "sp_theme", value: theme, url: page.url() }]);
    await page.goto("/contacts/new");
    await hydrated(page);
    await page.getByLabel("Name").fill("Axe Contact");
    await page.getByLabel("Phone number").fill("+65 8123 4567");
    await page.getByRole("button", { name: "Save" }).click();
    await expect(page.getByRole("heading", { name: "Axe Contact" })).toBeVisible();
    const contactPage = new URL(page.url()).pathname;
    for (const path of ["/", "/recents", "/contacts", "/contacts/new", contactPage, `${contactPage}/edit`, "/settings"]) {
      await page.goto(path);
      expect(await seriousViolations(page), `${path} (${theme})`).toEqual([]);
    }
  });
}
