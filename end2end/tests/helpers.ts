import AxeBuilder from "@axe-core/playwright";
import { Browser, expect, Locator, Page } from "@playwright/test";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export const PASSWORD = "Corr3ct-horse!";

let counter = 0;
/** A unique address per test; the domain is unique too, so masked log lines tell users apart. */
export function uniqueEmail(prefix = "agent"): string {
  counter += 1;
  const tag = `${Date.now().toString(36)}${process.pid}${counter}`;
  return `${prefix}@t${tag}.example.com`;
}

/** moto's Cognito accepts any confirmation code that is not one of its own. */
export const MOTO_CONFIRMATION_CODE = "123456";

/**
 * Creates an account through the sign-up page and waits for the keypad. With Cognito behind
 * the server (the AWS server of the test run), the emailed code is entered on the way.
 */
export async function signUp(page: Page, email = uniqueEmail()): Promise<string> {
  await submitSignUp(page, email);
  const codeSent = page.getByTestId("confirm-sent");
  await expect(page.getByRole("heading", { name: "Keypad" }).or(codeSent)).toBeVisible();
  if (await codeSent.isVisible()) {
    await page.getByLabel("Confirmation code").fill(MOTO_CONFIRMATION_CODE);
    await page.getByRole("button", { name: "Confirm and sign in" }).click();
  }
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole("heading", { name: "Keypad" })).toBeVisible();
  return email;
}

/** Fills in and sends the sign-up form (what follows depends on the identity provider). */
export async function submitSignUp(page: Page, email: string): Promise<void> {
  await page.goto("/signup");
  await hydrated(page);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByLabel("Confirm password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
}

/** Keeps a handle on the microphone stream the app opens next (for `unplugMicrophone`). */
export async function keepMicrophone(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
    navigator.mediaDevices.getUserMedia = async (c) => ((window as any).__mic = await original(c));
  });
}

/** The kept microphone goes away: its track stops and ends, as when it is unplugged. */
export async function unplugMicrophone(page: Page): Promise<void> {
  await page.evaluate(() => {
    const track = (window as any).__mic.getAudioTracks()[0];
    track.stop();
    track.dispatchEvent(new Event("ended"));
  });
}

/** Opens the keypad, types `number` and presses Call. */
export async function dial(page: Page, number: string): Promise<void> {
  await page.goto("/");
  await hydrated(page);
  await page.getByLabel("Phone number").fill(number);
  await page.getByTestId("call-button").click();
}

/** Waits until the WASM bundle has hydrated the page (event handlers are live). */
export async function hydrated(page: Page): Promise<void> {
  await page.waitForFunction(() => (window as any).__softphone_hydrated === true);
}

/**
 * A one-time password-reset link for `email`, as the operator makes it:
 * `server users reset-link` on the local server's data directory (printed, never logged).
 */
export function resetLink(email: string, baseUrl: string): string {
  const targetDir = process.env.CARGO_TARGET_DIR ?? path.join(os.homedir(), ".cache/softphone/target");
  const printed = execFileSync(`${targetDir}/debug/server`, ["users", "reset-link", email], {
    env: {
      PATH: process.env.PATH,
      SOFTPHONE_DATA_DIR: process.env.E2E_DATA_DIR,
      SOFTPHONE_PUBLIC_URL: baseUrl,
    },
    encoding: "utf8",
  });
  const link = printed.split("\n").find((l) => l.startsWith(`${baseUrl}/forgot#code=`));
  if (!link) throw new Error(`no reset link printed: ${printed}`);
  return link;
}

/**
 * The page of the latest call, reached in the app (the live channel stays open), with its
 * quality summary shown (`call-view-quality`). The tab sends the summary as the call's audio
 * closes; a page opened at once may come before it is kept, so it is loaded again until then.
 */
export async function latestCallWithQuality(page: Page): Promise<Locator> {
  await page.locator('nav a[href="/recents"]').first().click();
  await page.getByTestId("call-row").first().getByTestId("call-details").click();
  const summary = page.getByTestId("call-view-quality");
  await expect
    .poll(
      async () => {
        const text = (await summary.textContent({ timeout: 5_000 }).catch(() => "")) ?? "";
        if (text.startsWith("Packets lost") || text.startsWith("Sound")) return true;
        await page.reload();
        return false;
      },
      { timeout: 20_000, intervals: [1_000] },
    )
    .toBe(true);
  return summary;
}

/** Makes `email` an administrator, as the operator does (`server users grant-admin`). */
export function grantAdmin(email: string): void {
  const targetDir = process.env.CARGO_TARGET_DIR ?? path.join(os.homedir(), ".cache/softphone/target");
  execFileSync(`${targetDir}/debug/server`, ["users", "grant-admin", email], {
    env: { PATH: process.env.PATH, SOFTPHONE_DATA_DIR: process.env.E2E_DATA_DIR },
    encoding: "utf8",
  });
}

export async function signIn(page: Page, email: string): Promise<void> {
  await page.goto("/signin");
  await hydrated(page);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/** An administrator's page, signed in again so the session carries the role. */
export async function administrator(browser: Browser, viewport: { width: number; height: number }) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const email = await signUp(page);
  grantAdmin(email);
  await context.clearCookies();
  await signIn(page, email);
  await expect(page.getByRole("heading", { name: "Keypad" })).toBeVisible();
  return { context, page, email };
}

/** Ends when the call has ended and its panel is gone (the line is free again). */
export async function callEnds(page: Page, number: string): Promise<void> {
  await dial(page, number);
  const panel = page.getByTestId("call-panel");
  await expect(panel).toHaveAttribute("data-state", "ended", { timeout: 15_000 });
  await expect(panel).toBeHidden({ timeout: 15_000 });
}

export async function seriousViolations(page: Page) {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
}

/**
 * Collects what the page's WASM panicked with (the panic hook's console error, and the page
 * error that follows): a test ends with `expect(panics()).toEqual([])`.
 */
export function watchPanics(page: Page): () => string[] {
  const seen: string[] = [];
  page.on("pageerror", (e) => seen.push(String(e)));
  page.on("console", (m) => {
    if (m.type() === "error" && m.text().includes("panicked at")) seen.push(m.text().split("\n\nStack")[0]);
  });
  return () => seen;
}
