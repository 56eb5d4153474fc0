import * as fs from "node:fs";
import { expect, test } from "@playwright/test";
import { dial, signUp } from "./helpers";

// The server's log never carries a phone number, an e-mail address or a token: not in our
// own lines, not in what a dependency writes (the SIP stack logs whole messages at info).
test("a call leaves no phone number, e-mail or token in the server log", async ({ page }) => {
  test.setTimeout(60_000);
  const email = await signUp(page);
  await dial(page, "+65 6000 0001");
  const panel = page.getByTestId("call-panel");
  await expect(panel).toHaveAttribute("data-state", "connected", { timeout: 15_000 });
  await page.getByTestId("end-call").click();
  await expect(panel).toHaveAttribute("data-state", "ended");

  const log = fs.readFileSync(process.env.E2E_SERVER_LOG!, "utf8");
  expect(log).toContain("call ended");
  // The number in any spelling: E.164, SIP URI user part, national digits.
  expect(log).not.toContain("6560000001");
  expect(log).not.toContain("6000 0001");
  expect(log).not.toContain(email);
  // No SIP message at all, so no digest credentials either.
  expect(log).not.toMatch(/INVITE sip:|Authorization: Digest/);
  // No bearer tokens (JWTs start with a base64url JSON header).
  expect(log).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/);
});
