// The release bundle starts and works in a browser, as served (scripts/package-smoke.sh runs it
// against the packaged server): the sign-up page hydrates with its lazy chunk and signs an agent
// up, the keypad hydrates and types a key, and a call to the simulator's echo number connects
// (the phone's and the call screen's chunks, WebRTC); Recents (with that call), Contacts and
// Settings open from the navigation, and Spanish loads. The end-to-end tests use the debug site;
// this checks what only the release site has: wasm-opt's output, the hashed names, and the main
// module's import names shortened after the build (scripts/wasm-short-imports.py), the loader
// rewritten (scripts/wasm-split-loader.py). Debian's
// Chromium with a fake microphone. Exits 1 with the reason on any failure or page error.
//
//   node scripts/bundle-starts.mjs <base URL>
import { chromium } from "@playwright/test";

const base = process.argv[2];
const PASSWORD = "Corr3ct-horse!";
const ECHO = "+65 6000 0001";
const TIMEOUT = 30_000;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--autoplay-policy=no-user-gesture-required", "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream", "--allow-loopback-in-peer-connection",
  ],
});
const errors = [];
let step = "start";
try {
  const context = await browser.newContext({ baseURL: base, locale: "en-US" });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
  page.on("console", (m) => m.type() === "error" && errors.push(`console: ${m.text().slice(0, 300)}`));
  const hydrated = () => page.waitForFunction(() => window.__softphone_hydrated === true, null, { timeout: TIMEOUT });

  step = "the sign-up page hydrates";
  await page.goto("/signup");
  await hydrated();
  step = "an agent signs up";
  await page.getByLabel("Email").fill(`bundle-${Date.now().toString(36)}@smoke.example.com`);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByLabel("Confirm password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await page.waitForURL(/\/$/);
  step = "the keypad hydrates and types a key";
  await page.goto("/");
  await hydrated();
  const input = page.getByLabel("Phone number");
  await page.locator('[data-key="6"]').click();
  if ((await input.inputValue()).trim() !== "6") throw new Error(`the field shows "${await input.inputValue()}"`);
  step = "a call to the echo number connects";
  await input.fill(ECHO);
  await page.getByTestId("call-button").click();
  await page.locator('[data-testid="call-panel"][data-state="connected"]').waitFor();
  await page.getByTestId("end-call").click();
  await page.locator('[data-testid="call-panel"][data-state="ended"]').waitFor();
  // Every area's lazy module, through the loader as rewritten (scripts/wasm-split-loader.py).
  const nav = page.getByRole("navigation", { name: "Main navigation" });
  for (const [link, heading] of [["Recents", "Recents"], ["Contacts", "Contacts"], ["Settings", "Settings"]]) {
    step = `the ${link} page opens from the navigation`;
    await nav.getByRole("link", { name: link }).click();
    await page.getByRole("heading", { name: heading, level: 1 }).waitFor();
  }
  step = "the call just made is in Recents";
  await nav.getByRole("link", { name: "Recents" }).click();
  await page.getByTestId("call-row").first().waitFor();
  step = "Spanish's module loads";
  await nav.getByRole("link", { name: "Settings" }).click();
  await page.getByLabel("Language").selectOption("es");
  await page.getByRole("heading", { name: "Ajustes", level: 1 }).waitFor();
  step = "no page errors";
  if (errors.length) throw new Error(errors.join("\n"));
  console.log("release bundle: signs up, hydrates the keypad, types a key, connects a call, opens every area and loads Spanish");
} catch (e) {
  console.error(`FAIL (release bundle in Chromium): ${step}: ${e.message.split("\n")[0]}`);
  for (const error of errors) console.error(`  ${error}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
