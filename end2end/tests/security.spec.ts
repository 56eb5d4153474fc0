import { test, expect, Page } from "@playwright/test";
import * as fs from "node:fs";
import { hydrated, PASSWORD, signUp, uniqueEmail } from "./helpers";

// The content security policy holds the app as it is: the pages hydrate (the WASM, the lazy
// chunks, the inline scripts with their nonce) and no violation is reported on any of them.
// And forms never leak: with JavaScript off nothing a form holds reaches a URL or the log.

/** Collects the page's CSP violations (the event, and the console's words for them). */
async function watchViolations(page: Page): Promise<string[]> {
  const seen: string[] = [];
  page.on("console", (m) => {
    if (m.text().includes("Content Security Policy")) seen.push(m.text());
  });
  await page.exposeFunction("__cspViolation", (what: string) => seen.push(what));
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) =>
      (window as any).__cspViolation(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`),
    );
  });
  return seen;
}

test("the main pages run under the content security policy without a violation", async ({ page }) => {
  test.setTimeout(60_000);
  const violations = await watchViolations(page);
  for (const path of ["/signin", "/signup", "/forgot"]) {
    const response = await page.goto(path);
    expect(response!.headers()["content-security-policy"]).toContain("'wasm-unsafe-eval'");
    await hydrated(page);
  }
  await signUp(page);
  for (const path of ["/", "/recents", "/contacts", "/contacts/new", "/settings"]) {
    await page.goto(path);
    await hydrated(page);
    // Each page's own data has come in (its loading state is gone).
    await expect(page.locator("main")).toBeVisible();
  }
  // Client-side navigation loads the lazy chunks too.
  await page.getByRole("link", { name: "Contacts" }).first().click();
  await expect(page).toHaveURL(/\/contacts$/);
  await page.waitForTimeout(300);
  expect(violations).toEqual([]);
});

/** What a form sent before hydration would leak; each test value is unique to the test. */
const SECRET = "Leak-Check-7qz!";

/** Fills every text field of the page's form with `value`-derived text and tries to submit. */
async function tryToSubmit(page: Page, values: string[]): Promise<void> {
  const fields = page.locator("form input:not([type=checkbox]):not([type=file]), form textarea");
  const count = await fields.count();
  expect(count).toBeGreaterThan(0);
  for (let i = 0; i < count; i++) {
    const type = await fields.nth(i).getAttribute("type");
    const value = type === "email" ? values[0] : type === "password" ? SECRET : `${values[1]}-${i}`;
    await fields.nth(i).fill(value);
  }
  // Enter in the last field (implicit submission), then a click on the submit button.
  await fields.nth(count - 1).press("Enter");
  await page.locator("form button[type=submit]").click({ force: true, timeout: 2_000 }).catch(() => {});
  await page.waitForTimeout(500);
}

test("with JavaScript off no form sends anything, so nothing reaches a URL or the log", async ({ browser, baseURL }) => {
  const context = await browser.newContext({ baseURL, javaScriptEnabled: false });
  // An account, signed in in this context, for the forms behind sign-in.
  const signed = await context.request.post("/api/auth/sign_up", {
    headers: { Origin: baseURL! },
    data: { email: uniqueEmail("nojs"), password: PASSWORD, confirm: PASSWORD },
  });
  expect(signed.status()).toBe(200);
  const page = await context.newPage();
  const requests: string[] = [];
  page.on("request", (r) => requests.push(`${r.method()} ${r.url()} ${r.postData() ?? ""}`));
  const tag = `leak${Date.now().toString(36)}`;
  const email = `${tag}@nojs.example.com`;
  const forms = [
    { path: "/contacts/new", signedIn: true },
    { path: "/signin" },
    { path: "/signup" },
    { path: "/forgot" },
  ];
  for (const form of forms) {
    if (!form.signedIn) await context.clearCookies();
    await page.goto(form.path);
    await expect(page.locator("form button[type=submit]")).toBeDisabled();
    await expect(page.locator("form")).toHaveAttribute("method", "post");
    const before = requests.length;
    await tryToSubmit(page, [email, tag]);
    const url = page.url();
    expect(url, form.path).toBe(`${baseURL}${form.path}`);
    const sent = requests.slice(before);
    expect(sent, `${form.path} sent a request`).toEqual([]);
  }
  await context.close();
  const log = fs.readFileSync(process.env.E2E_SERVER_LOG!, "utf8");
  for (const value of [tag, SECRET, email]) expect(log).not.toContain(value);
});
