import { expect, Page, test } from "@playwright/test";
import * as fs from "node:fs";
import { administrator, callEnds, hydrated, seriousViolations, signUp } from "./helpers";

// An agent's three calls, each ending another way (docs/telephony.md, the simulator's numbers).
const HANGS_UP = "+65 6000 0006"; // answered, then the far end hangs up after 5 s
const BUSY = "+65 6000 0003";
const NOT_FOUND = "+507 200-0005";

/** The rows of a data table (opened first): its cells' text, header row left out. */
async function tableRows(page: Page, testid: string): Promise<string[][]> {
  const table = page.getByTestId(testid);
  const details = table.locator("xpath=ancestor::details");
  if (!(await details.evaluate((d) => (d as HTMLDetailsElement).open))) {
    await details.locator("summary").click();
  }
  await expect(table).toBeVisible();
  return table.locator("tbody tr").evaluateAll((rows) =>
    rows.map((r) => Array.from(r.children).map((c) => (c.textContent ?? "").trim())),
  );
}

/** The CSV the page downloads: header and rows, split on commas (our fields hold none). */
async function downloadCsv(page: Page): Promise<{ header: string[]; rows: string[][] }> {
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("analytics-csv").click()]);
  expect(download.suggestedFilename()).toMatch(/^calls-\d{4}-\d\d-\d\d-\d{4}-\d\d-\d\d\.csv$/);
  const text = fs.readFileSync(await download.path(), "utf8");
  const [header, ...rows] = text
    .split("\r\n")
    .filter((l) => l !== "")
    .map((l) => l.split(","));
  return { header, rows };
}

for (const [label, viewport] of [
  ["desktop", { width: 1280, height: 800 }],
  ["phone", { width: 390, height: 844 }],
] as const) {
  test(`call analytics on ${label}: an agent's calls by outcome and country, filtered, exported`, async ({ browser }) => {
    test.setTimeout(150_000);
    const agentContext = await browser.newContext({ viewport });
    const agent = await agentContext.newPage();
    const agentEmail = await signUp(agent);
    await callEnds(agent, HANGS_UP);
    await callEnds(agent, BUSY);
    await callEnds(agent, NOT_FOUND);
    // Not an administrator: the server refuses the page's data.
    await agent.goto("/admin/analytics");
    await hydrated(agent);
    await expect(agent.getByTestId("load-error")).toContainText("Only administrators can do this.");

    const { context, page } = await administrator(browser, viewport);
    await page.goto("/admin");
    await hydrated(page);
    await page.getByTestId("admin-analytics-link").click();
    await expect(page).toHaveURL(/\/admin\/analytics$/);
    await expect(page.getByRole("heading", { name: "Call analytics", level: 1 })).toBeVisible();
    await hydrated(page);
    // The whole run's calls by default (every agent of the test run): at least this agent's.
    expect(Number(await page.getByTestId("figure-calls").textContent())).toBeGreaterThanOrEqual(3);

    // One agent: their three calls.
    await page.getByLabel("Agent", { exact: true }).selectOption({ label: agentEmail });
    await page.getByTestId("analytics-show").click();
    await expect(page).toHaveURL(/[?&]agent=/);
    await expect(page.getByTestId("figure-calls")).toHaveText("3");
    await expect(page.getByTestId("figure-answered")).toHaveText("1");
    await expect(page.getByTestId("figure-answer-rate")).toHaveText("33.3 %");
    await expect(page.getByTestId("figure-average-delay")).toHaveText(/^\d+\.\d s$/);
    // The answered call's quality summary: its MOS.
    await expect(page.getByTestId("figure-average-mos")).toHaveText(/^[1-4]\.\d\d$/);
    // The charts are drawn, with their data tables.
    await expect(page.getByTestId("chart-days").locator("svg rect")).not.toHaveCount(0);
    await expect(page.getByTestId("chart-countries").locator("li")).toHaveCount(2);
    expect(await tableRows(page, "table-outcomes")).toEqual([
      ["Completed", "1"],
      ["Busy", "1"],
      ["Number does not exist", "1"],
    ]);
    const countries = await tableRows(page, "table-countries");
    expect(countries.map((r) => r.slice(0, 4))).toEqual([
      ["Singapore", "2", "1", "50.0 %"],
      ["Panama", "1", "0", "0.0 %"],
    ]);
    const agents = await tableRows(page, "table-agents");
    expect(agents.map((r) => r.slice(0, 3))).toEqual([[agentEmail, "3", "1"]]);
    const hours = await tableRows(page, "table-hours");
    expect(hours.reduce((n, r) => n + Number(r[1]), 0)).toBe(3);

    // The CSV holds the same: its end-reason rows sum to the page's figures, per country too.
    const csv = await downloadCsv(page);
    expect(csv.header.slice(0, 8)).toEqual(["day", "agent", "email", "direction", "country", "number_type", "measure", "calls"]);
    const col = (name: string) => csv.header.indexOf(name);
    const ended = csv.rows.filter((r) => r[col("measure")] !== "quality");
    const sum = (rows: string[][], name: string) => rows.reduce((n, r) => n + Number(r[col(name)]), 0);
    expect(csv.rows.every((r) => r[col("email")] === agentEmail)).toBe(true);
    expect(sum(ended, "calls")).toBe(3);
    expect(sum(ended, "answered")).toBe(1);
    expect(sum(ended.filter((r) => r[col("country")] === "SG"), "calls")).toBe(2);
    expect(sum(ended.filter((r) => r[col("country")] === "PA"), "calls")).toBe(1);
    expect(ended.map((r) => r[col("measure")]).sort()).toEqual(["busy", "completed", "not_found"]);
    expect(sum(csv.rows.filter((r) => r[col("measure")] === "quality"), "rated")).toBe(1);

    // And one country: Panama's one call.
    await page.getByLabel("Country", { exact: true }).selectOption({ label: "Panama" });
    await page.getByTestId("analytics-show").click();
    await expect(page).toHaveURL(/[?&]country=PA/);
    await expect(page.getByTestId("figure-calls")).toHaveText("1");
    expect(await tableRows(page, "table-outcomes")).toEqual([["Number does not exist", "1"]]);
    // Kept in the address: a reload shows the same.
    await page.reload();
    await hydrated(page);
    await expect(page.getByTestId("figure-calls")).toHaveText("1");
    await expect(page.getByLabel("Country", { exact: true })).toHaveValue("PA");

    // A period that is not one is named, and nothing is asked.
    const before = page.url();
    await page.getByLabel("From", { exact: true }).fill("2026-12-31");
    await page.getByLabel("To", { exact: true }).fill("2026-01-01");
    await page.getByTestId("analytics-show").click();
    await expect(page.getByText("Choose a period of at most 366 days, its start before its end.")).toBeVisible();
    await expect(page.getByLabel("From", { exact: true })).toHaveAttribute("aria-invalid", "true");
    expect(page.url()).toBe(before);
    // A period with no calls says so.
    await page.getByLabel("From", { exact: true }).fill("2020-01-01");
    await page.getByLabel("To", { exact: true }).fill("2020-01-31");
    await page.getByTestId("analytics-show").click();
    await expect(page.getByTestId("analytics-no-calls")).toHaveText("No calls in this period.");

    if (label === "desktop") {
      await page.goto(`/admin/analytics`);
      await hydrated(page);
      for (const theme of ["light", "dark"]) {
        await context.addCookies([{ name: "sp_theme", value: theme, url: page.url() }]);
        await page.reload();
        await hydrated(page);
        await expect(page.locator("html")).toHaveAttribute("data-theme", theme);
        for (const details of await page.locator("details").all()) {
          await details.locator("summary").click();
        }
        expect(await seriousViolations(page), theme).toEqual([]);
      }
    }
    await Promise.all([context.close(), agentContext.close()]);
  });
}
