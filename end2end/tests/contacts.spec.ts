import { expect, test } from "@playwright/test";
import { hydrated, signUp } from "./helpers";

test.beforeEach(async ({ page }) => {
  await signUp(page);
});

test("add, edit, search, favourite, delete with undo", async ({ page }) => {
  await page.goto("/contacts");
  await hydrated(page);
  await expect(page.getByTestId("empty-state")).toContainText("No contacts yet");
  await page.getByRole("link", { name: "New contact" }).click();
  await hydrated(page);

  // Refused numbers are explained next to the field, and nothing is saved.
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByText("Enter a name.")).toBeVisible();
  await page.getByLabel("Name").fill("Ana Pérez");
  await page.getByLabel("Company").fill("Banco General");
  await page.getByLabel("Phone number").fill("+65 1900 123 4567");
  await expect(page.getByText("Premium-rate numbers cannot be dialled.")).toBeVisible();
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByTestId("form-error")).toHaveText("Please fix the marked fields.");

  await page.getByLabel("Phone number").fill("6123 4567");
  await page.getByLabel("Label").selectOption("mobile");
  await page.getByRole("button", { name: "Add number" }).click();
  await page.getByLabel("Phone number").nth(1).fill("+507 200-1234");
  await page.getByLabel("Label").nth(1).selectOption("work");
  await page.getByLabel("Notes").fill("Prefers calls after 2 pm");
  await page.getByRole("button", { name: "Save" }).click();

  // The contact page shows the numbers in E.164-derived international form.
  await expect(page.getByRole("heading", { name: "Ana Pérez" })).toBeVisible();
  await expect(page.getByText("+65 6123 4567")).toBeVisible();
  await expect(page.getByText("+507 200-1234")).toBeVisible();
  await expect(page.getByText("Prefers calls after 2 pm")).toBeVisible();

  await hydrated(page);
  await page.getByRole("link", { name: "Edit" }).click();
  await hydrated(page);
  await page.getByLabel("Name").fill("Ana María Pérez");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("heading", { name: "Ana María Pérez" })).toBeVisible();

  // Calling from a contact fills the dial pad.
  await page.getByRole("link", { name: "Call Ana María Pérez" }).first().click();
  await expect(page.getByLabel("Phone number")).toHaveValue("+65 6123 4567");

  // A second contact, then search by name, company and number.
  await page.goto("/contacts/new");
  await hydrated(page);
  await page.getByLabel("Name").fill("Tan Wei Ming");
  await page.getByLabel("Phone number").fill("+65 9123 4567");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("heading", { name: "Tan Wei Ming" })).toBeVisible();

  await page.goto("/contacts");
  await hydrated(page);
  const rows = page.getByTestId("contact-row");
  await expect(rows).toHaveCount(2);
  const search = page.getByLabel("Search name, number or company");
  await search.fill("banco");
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText("Ana María Pérez");
  await search.fill("9123 4567");
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText("Tan Wei Ming");
  await search.fill("nobody here");
  await expect(page.getByTestId("empty-state")).toContainText("Nothing matches your search.");
  await search.fill("");
  await expect(rows).toHaveCount(2);

  await page.getByRole("button", { name: "Add to favourites" }).last().click();
  await page.getByRole("button", { name: "Favourites", exact: true }).click();
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText("Tan Wei Ming");
  await page.getByRole("button", { name: "Favourites", exact: true }).click();

  // Delete, then undo.
  await rows.filter({ hasText: "Ana María Pérez" }).getByRole("link").first().click();
  await hydrated(page);
  await page.getByRole("button", { name: "Delete" }).click();
  await expect(page).toHaveURL(/\/contacts$/);
  await expect(page.getByTestId("toast")).toContainText("Contact deleted.");
  await expect(rows).toHaveCount(1);
  await page.getByTestId("toast").getByRole("button", { name: "Undo" }).click();
  await expect(page.getByRole("heading", { name: "Ana María Pérez" })).toBeVisible();
  await page.goto("/contacts");
  await expect(page.getByTestId("contact-row")).toHaveCount(2);
});

test("import a vCard reports what was skipped and why; export gives the contacts back", async ({ page }) => {
  await page.goto("/contacts");
  await hydrated(page);
  const vcf = [
    "BEGIN:VCARD", "VERSION:3.0", "FN:Lim Boon Keng", "ORG:Harbour Pte Ltd", "TEL;TYPE=CELL:+65 8123 4567", "TEL;TYPE=WORK:+65 1900 123 4567", "END:VCARD",
    "BEGIN:VCARD", "VERSION:3.0", "FN:Premium Only", "TEL:+507 900-1234", "END:VCARD",
    "BEGIN:VCARD", "VERSION:3.0", "FN:No Number", "END:VCARD",
    "BEGIN:VCARD", "VERSION:2.1", "N:Castillo;Rosa;;;", "TEL;CELL:+507 6987 6543", "END:VCARD",
  ].join("\r\n");
  await page.getByTestId("import-file").setInputFiles({ name: "contacts.vcf", mimeType: "text/vcard", buffer: Buffer.from(vcf) });
  const report = page.getByTestId("import-report");
  await expect(report).toContainText("2 imported, 3 skipped.");
  await expect(report).toContainText("Row 1: Lim Boon Keng: +65 1900 123 4567 — Premium-rate numbers cannot be dialled.");
  await expect(report).toContainText("Row 2: Premium Only: +507 900-1234 — Premium-rate numbers cannot be dialled.");
  await expect(report).toContainText("Row 3: no phone number");
  const rows = page.getByTestId("contact-row");
  await expect(rows).toHaveCount(2);
  await expect(rows.first()).toContainText("Lim Boon Keng");
  await expect(rows.last()).toContainText("Rosa Castillo");

  // The same file again adds nothing.
  await page.getByTestId("import-file").setInputFiles({ name: "contacts.vcf", mimeType: "text/vcard", buffer: Buffer.from(vcf) });
  await expect(report).toContainText("0 imported, 5 skipped.");
  await expect(report).toContainText("Row 4: Rosa Castillo: already in your contacts");
  await expect(rows).toHaveCount(2);

  const download = page.waitForEvent("download");
  await page.getByRole("button", { name: "Export vCard" }).click();
  const file = await download;
  expect(file.suggestedFilename()).toBe("contacts.vcf");
  const text = require("node:fs").readFileSync(await file.path(), "utf8");
  expect(text).toContain("FN:Lim Boon Keng");
  expect(text).toContain("TEL;TYPE=CELL:+6581234567");
  expect(text).not.toContain("19001234567");
});

test("import a Google-style CSV", async ({ page }) => {
  await page.goto("/contacts");
  await hydrated(page);
  const csv = [
    "Given Name,Family Name,Organization 1 - Name,Phone 1 - Type,Phone 1 - Value",
    "Mei Ling,Goh,Harbour Pte Ltd,Mobile,9123 4567",
    "Juan,Ortega,,Work,+507 200-1234",
    "No,Phone,,,",
  ].join("\n");
  await page.getByTestId("import-file").setInputFiles({ name: "google.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
  const report = page.getByTestId("import-report");
  await expect(report).toContainText("2 imported, 1 skipped.");
  await expect(report).toContainText("Row 4: no phone number");
  const rows = page.getByTestId("contact-row");
  await expect(rows).toHaveCount(2);
  // "9123 4567" has no country code: read as a number of the default country (Singapore).
  await expect(rows.filter({ hasText: "Mei Ling Goh" })).toContainText("+65 9123 4567");
  await expect(rows.filter({ hasText: "Juan Ortega" })).toContainText("+507 200-1234");
});
