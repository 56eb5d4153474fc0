import { expect, test } from "@playwright/test";
import { dial, hydrated, signUp } from "./helpers";

// A number of the built-in PSTN simulator that answers busy (README, docs/telephony.md).
const BUSY = "+65 6000 0003";

test("a page that arrives after the search changed is dropped", async ({ page }) => {
  await signUp(page);
  await page.goto("/contacts");
  await hydrated(page);
  // More contacts than one page holds (50), so there is a "Load more".
  const lines = ["Name,Phone 1 - Value"];
  for (let i = 1; i <= 60; i++) {
    const n = String(i).padStart(2, "0");
    lines.push(`Caller ${n},+65 8123 40${n}`);
  }
  await page.getByTestId("import-file").setInputFiles({ name: "many.csv", mimeType: "text/csv", buffer: Buffer.from(lines.join("\n")) });
  await expect(page.getByTestId("import-report")).toContainText("60 imported");
  const rows = page.getByTestId("contact-row");
  await expect(rows).toHaveCount(50);

  // The second page is slow; the search changes while it is on its way.
  let slowPages = 0;
  await page.route("**/contacts/list*", async (route) => {
    if (route.request().postDataJSON()?.cursor) {
      slowPages += 1;
      await new Promise((resolve) => setTimeout(resolve, 1500));
    }
    await route.continue();
  });
  await page.getByRole("button", { name: "Load more" }).click();
  await page.getByLabel("Search name, number or company").fill("Caller 07");
  await expect(rows).toHaveCount(1);
  await expect.poll(() => slowPages).toBe(1);
  await page.waitForTimeout(2500);
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText("Caller 07");

  // Without a search, "Load more" still appends the rest.
  await page.unrouteAll({ behavior: "wait" });
  await page.getByLabel("Search name, number or company").fill("");
  await expect(rows).toHaveCount(50);
  await page.getByRole("button", { name: "Load more" }).click();
  await expect(rows).toHaveCount(60);
  await expect(page.getByRole("button", { name: "Load more" })).toHaveCount(0);
});

test.describe("in a far time zone", () => {
  // UTC+14: for most of the day the local date is not the UTC date.
  const timeZone = "Pacific/Kiritimati";
  test.use({ timezoneId: timeZone });

  test("Recents and the call page show when the call was, in local time", async ({ page }) => {
    await signUp(page);
    await dial(page, BUSY);
    await expect(page.getByTestId("call-state")).toContainText("Busy", { timeout: 10_000 });
    await page.goto("/recents");
    await hydrated(page);
    const when = page.getByTestId("call-row").first().getByTestId("call-time");
    const utc = await when.getAttribute("datetime");
    expect(utc).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}Z$/);
    const local = new Intl.DateTimeFormat("en", { hour: "numeric", minute: "2-digit", timeZone }).format(
      new Date(utc!.replace(" ", "T")),
    );
    await expect(when).toHaveText(`Today ${local}`);
    await expect(when).toHaveAttribute("title", `${utc!.slice(0, -1)} UTC`);

    await page.getByTestId("call-row").first().getByTestId("call-details").click();
    await expect(page.getByTestId("call-view-status")).toContainText("Busy");
    await expect(page.getByText(`Started Today ${local}`)).toBeVisible();
  });
});
