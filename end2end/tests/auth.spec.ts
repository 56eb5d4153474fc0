import { expect, test } from "@playwright/test";
import * as fs from "node:fs";
import { hydrated, PASSWORD, resetLink, signUp, uniqueEmail } from "./helpers";

test("signed-out visitors are sent to sign-in", async ({ page }) => {
  for (const path of ["/", "/recents", "/contacts", "/settings"]) {
    await page.goto(path);
    await expect(page).toHaveURL(/\/signin$/);
  }
});

test("sign up checks the password rules, then signs in", async ({ page }) => {
  const email = uniqueEmail();
  await page.goto("/signup");
  await hydrated(page);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill("short");
  const rules = page.locator("#password-rules");
  await expect(rules).toContainText("• at least 8 characters");
  await expect(rules).toContainText("• an upper-case letter");
  await page.getByLabel("Confirm password").fill("short");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByTestId("form-error")).toContainText("The password does not meet the rules");

  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await expect(rules).toContainText("✓ at least 8 characters");
  await page.getByLabel("Confirm password").fill(PASSWORD + "x");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByTestId("form-error")).toContainText("The passwords do not match");

  await page.getByLabel("Confirm password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByRole("heading", { name: "Keypad" })).toBeVisible();

  // Signed-in users skip the sign-in page.
  await page.goto("/signin");
  await expect(page).toHaveURL(/\/$/);
});

test("wrong password is refused without saying whether the account exists; sign out ends the session", async ({ page, context }) => {
  const email = await signUp(page);
  await page.goto("/settings");
  await expect(page.getByTestId("account-email")).toHaveText(email);
  await hydrated(page);
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/signin$/);
  // The session's cookies are gone; the device cookie stays by design: it is no credential, it
  // only spares this browser the account's sign-in lock-out (docs/security.md).
  const left = (await context.cookies()).filter((c) => c.name.startsWith("sp_") && c.httpOnly && c.value);
  expect(left.map((c) => c.name)).toEqual(["sp_device"]);

  await hydrated(page);
  for (const [who, password] of [[email, "Wrong-pass1!"], [uniqueEmail("ghost"), PASSWORD]]) {
    await page.getByLabel("Email").fill(who);
    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByTestId("form-error")).toHaveText("Wrong email or password.");
  }

  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: "Keypad" })).toBeVisible();
  const cookies = await context.cookies();
  const access = cookies.find((c) => c.name === "sp_access");
  expect(access?.httpOnly).toBe(true);
  expect(access?.sameSite).toBe("Strict");
});

test("forgot password: the administrator's one-time link sets a new password; nothing is logged", async ({ page, baseURL }) => {
  const email = await signUp(page);
  await page.context().clearCookies();
  await page.goto("/forgot");
  await hydrated(page);
  await page.getByLabel("Email").fill(email);
  await page.getByRole("button", { name: "Send reset code" }).click();
  await expect(page.getByTestId("reset-sent")).toContainText("ask them for a reset link");

  const link = resetLink(email, baseURL!);
  const code = link.split("#code=")[1];
  await page.goto("about:blank"); // a fresh load: from /forgot, only the fragment would change
  await page.goto(link);
  await hydrated(page);
  await expect(page.getByLabel("Reset code")).toHaveValue(code);
  // The code leaves the address bar (and this history entry) once read.
  await expect(page).toHaveURL(/\/forgot$/);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("New password").fill("N3w-password!");
  await page.getByLabel("Confirm password").fill("N3w-password!");
  await page.getByRole("button", { name: "Set new password" }).click();
  await expect(page.getByText("Password changed.")).toBeVisible();
  expect(fs.readFileSync(process.env.E2E_SERVER_LOG!, "utf8")).not.toContain(code);

  await page.goto("/signin");
  await hydrated(page);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("N3w-password!");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: "Keypad" })).toBeVisible();
});

test("an expired access token is renewed from the refresh cookie; without one the session ends", async ({ page, context }) => {
  await signUp(page);
  const withoutAccess = async () => {
    const kept = (await context.cookies()).filter((c) => c.name !== "sp_access");
    await context.clearCookies();
    await context.addCookies(kept);
  };
  await withoutAccess();
  await page.goto("/contacts");
  await expect(page.getByRole("heading", { name: "Contacts" })).toBeVisible();
  const renewed = (await context.cookies()).find((c) => c.name === "sp_access");
  expect(renewed?.value.split(".")).toHaveLength(3);
  expect(renewed?.httpOnly).toBe(true);

  // A forged refresh token does not renew anything and is cleared. The app's page is left
  // first and the cookies swapped in one step: a request of the page's own (the live channel
  // connecting, the phone starting) made while the access cookie is gone but the real refresh
  // cookie still there would renew the session behind the test's back.
  await page.goto("about:blank");
  const forged = (await context.cookies())
    .filter((c) => c.name !== "sp_access")
    .map((c) => (c.name === "sp_refresh" ? { ...c, value: "forged" } : c));
  await context.clearCookies();
  await context.addCookies(forged);
  await page.goto("/contacts");
  await expect(page).toHaveURL(/\/signin$/);
  expect((await context.cookies()).find((c) => c.name === "sp_refresh")).toBeUndefined();
});
