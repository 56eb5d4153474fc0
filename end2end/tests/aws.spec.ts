import { expect, test } from "@playwright/test";
import { hydrated, MOTO_CONFIRMATION_CODE, PASSWORD, submitSignUp, uniqueEmail } from "./helpers";

// The app on its AWS back ends (moto's Cognito, DynamoDB and S3; the second server of the
// run): the account and contacts journey an agent makes on the embedded default, unchanged.
const port = Number(process.env.E2E_PORT ?? 3100);
const aws = `http://127.0.0.1:${port + 1}`;

test.describe("on Cognito + DynamoDB + S3", () => {
  // Not skipped without it: the AWS journey must run, so its absence is a failure that says why.
  test.beforeAll(() => {
    if (!process.env.SOFTPHONE_TEST_MOTO) {
      throw new Error("needs moto and the AWS server: run scripts/test.sh, or set SOFTPHONE_TEST_MOTO and SOFTPHONE_E2E_* as it does");
    }
  });
  test.use({ baseURL: aws });

  test("the server reports its AWS back ends ready", async ({ page }) => {
    const ready = await (await page.request.get("/readyz")).json();
    expect(ready).toMatchObject({
      store: "ok", store_kind: "dynamodb",
      identity: "ok", identity_kind: "cognito",
      recordings: "ok", recordings_store: "s3",
    });
  });

  test("sign up with the emailed code, add and find a contact, sign out, sign back in", async ({ page }) => {
    const email = uniqueEmail("cognito");
    await submitSignUp(page, email);
    // Cognito sends a code; the page says where (masked) and asks for it.
    await expect(page.getByRole("heading", { name: "Confirm your email" })).toBeVisible();
    await expect(page.getByTestId("confirm-sent")).toContainText("We sent a confirmation code to");
    await page.getByLabel("Confirmation code").fill(MOTO_CONFIRMATION_CODE);
    await page.getByRole("button", { name: "Confirm and sign in" }).click();
    await expect(page.getByRole("heading", { name: "Keypad" })).toBeVisible();

    await page.goto("/contacts/new");
    await hydrated(page);
    await page.getByLabel("Name").fill("Ana Pérez");
    await page.getByLabel("Company").fill("Banco General");
    await page.getByLabel("Phone number").fill("+507 6123 4567");
    await page.getByRole("button", { name: "Save" }).click();
    await expect(page.getByRole("heading", { name: "Ana Pérez" })).toBeVisible();
    await expect(page.getByText("+507 6123-4567")).toBeVisible();

    await page.goto("/contacts");
    await hydrated(page);
    await page.getByLabel("Search name, number or company").fill("banco");
    await expect(page.getByTestId("contact-row")).toHaveCount(1);
    await expect(page.getByTestId("contact-row")).toContainText("Ana Pérez");

    await page.goto("/settings");
    await expect(page.getByTestId("account-email")).toHaveText(email);
    await hydrated(page);
    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page).toHaveURL(/\/signin$/);

    await hydrated(page);
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill("Wrong-pass1!");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByTestId("form-error")).toHaveText("Wrong email or password.");
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByRole("heading", { name: "Keypad" })).toBeVisible();
    await page.goto("/contacts");
    await expect(page.getByTestId("contact-row")).toContainText("Ana Pérez");
  });

  test("signing in before confirming asks for the code, then signs in", async ({ page, browser }) => {
    // An account left unconfirmed: the sign-up form is abandoned at the code step.
    const email = uniqueEmail("unconfirmed");
    await submitSignUp(page, email);
    await expect(page.getByTestId("confirm-sent")).toBeVisible();

    const later = await (await browser.newContext({ baseURL: aws })).newPage();
    await later.goto("/signin");
    await hydrated(later);
    await later.getByLabel("Email").fill(email);
    await later.getByLabel("Password").fill(PASSWORD);
    await later.getByRole("button", { name: "Sign in" }).click();
    await expect(later.getByText("This account is not confirmed yet: enter the code we emailed you.")).toBeVisible();
    await expect(later.getByRole("heading", { name: "Confirm your email" })).toBeVisible();
    await later.getByLabel("Confirmation code").fill(MOTO_CONFIRMATION_CODE);
    await later.getByRole("button", { name: "Confirm and sign in" }).click();
    await expect(later.getByRole("heading", { name: "Keypad" })).toBeVisible();
  });
});
