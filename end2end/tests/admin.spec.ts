import { expect, test } from "@playwright/test";
import { administrator, callEnds, dial, hydrated, seriousViolations, signIn, signUp } from "./helpers";

// Three calls in a row to numbers that differ only in their last two digits trip the
// sequential-numbers rule (docs/security.md): the third is refused and the agent is blocked.
const BUSY = "+65 6000 0003";
const NOT_FOUND = "+65 6000 0005";
const NO_ANSWER = "+65 6000 0004";

for (const [label, viewport] of [
  ["desktop", { width: 1280, height: 800 }],
  ["phone", { width: 390, height: 844 }],
] as const) {
  test.describe(`the admin page on ${label}`, () => {
    test.use({ viewport });

    test("an administrator lifts a velocity block, sets limits, disables and enables an agent", async ({ browser }) => {
      test.setTimeout(150_000);
      // The agent trips a real rule by calling.
      const agentContext = await browser.newContext({ viewport });
      const agent = await agentContext.newPage();
      const agentEmail = await signUp(agent);
      await callEnds(agent, BUSY);
      await callEnds(agent, NOT_FOUND);
      await dial(agent, NO_ANSWER);
      await expect(agent.getByTestId("dial-verdict")).toContainText("Calling is paused on your account");
      // Not an administrator: no link, and the page says so (the server refuses the work).
      await expect(agent.getByRole("link", { name: "Admin" })).toHaveCount(0);
      await agent.goto("/admin");
      await hydrated(agent);
      await expect(agent.getByTestId("load-error")).toContainText("Only administrators can do this.");
      await expect(agent.getByTestId("load-retry")).toHaveCount(0);

      const { context, page, email } = await administrator(browser, viewport);
      // The nav links the page (the phone's bottom bar too); so does Settings.
      await page.getByRole("navigation").getByRole("link", { name: "Admin" }).click();
      await expect(page).toHaveURL(/\/admin$/);
      await expect(page.getByRole("heading", { name: "Administration", level: 1 })).toBeVisible();
      await hydrated(page);
      const row = page.getByTestId("admin-blocked-row").filter({ hasText: agentEmail });
      await expect(row).toContainText("Blocked: consecutive numbers");

      // Opened from the list: the user's name takes the focus.
      await row.getByRole("button", { name: agentEmail }).click();
      const card = page.getByTestId("admin-user");
      await expect(page.getByTestId("admin-user-name")).toHaveText(agentEmail);
      await expect(page.getByTestId("admin-user-name")).toBeFocused();
      await expect(card.getByTestId("admin-calls")).toContainText("Blocked: consecutive numbers");
      await expect(card.getByTestId("admin-account")).toHaveText("Enabled");
      if (label === "desktop") {
        expect(await seriousViolations(page)).toEqual([]);
      }
      await card.getByTestId("admin-lift").click();
      await expect(card.getByTestId("admin-result")).toHaveText("Saved.");
      await expect(card.getByTestId("admin-calls")).toHaveText("Allowed");
      await expect(card.getByTestId("admin-lift")).toHaveCount(0);
      await expect(row).toHaveCount(0);
      // The agent calls again.
      await callEnds(agent, BUSY);

      // Limits: a field that is not a whole number is named, nothing is sent; then saved.
      const perMinute = card.getByLabel("Calls per minute");
      await expect(perMinute).toHaveAttribute("placeholder", "5");
      await perMinute.fill("lots");
      await card.getByLabel("Longest call (min)").fill("5");
      await card.getByTestId("admin-save-limits").click();
      await expect(perMinute).toHaveAttribute("aria-invalid", "true");
      await expect(card.getByText("Enter a whole number, or leave it empty.")).toBeVisible();
      await expect(card.getByTestId("admin-result")).toHaveText("");
      await perMinute.fill("2");
      await card.getByLabel("Velocity rules off").check();
      await card.getByTestId("admin-save-limits").click();
      await expect(card.getByTestId("admin-result")).toHaveText("Saved.");
      await expect(perMinute).toHaveAttribute("aria-invalid", "false");
      // Kept: looked up again by e-mail after a reload.
      await page.reload();
      await hydrated(page);
      await page.getByLabel("Find a user (e-mail or sub)").fill(agentEmail.toUpperCase());
      await page.getByTestId("admin-find-button").click();
      await expect(page.getByTestId("admin-user-name")).toHaveText(agentEmail);
      await expect(card.getByLabel("Calls per minute")).toHaveValue("2");
      await expect(card.getByLabel("Longest call (min)")).toHaveValue("5");
      await expect(card.getByLabel("Velocity rules off")).toBeChecked();

      // Disabling asks first: Cancel has the focus and Escape cancels.
      await card.getByTestId("admin-disable").click();
      const confirm = page.getByRole("alertdialog");
      await expect(confirm).toContainText(agentEmail);
      await expect(confirm.getByRole("button", { name: "Cancel" })).toBeFocused();
      await page.keyboard.press("Escape");
      await expect(confirm).toHaveCount(0);
      await expect(card.getByTestId("admin-account")).toHaveText("Enabled");
      await card.getByTestId("admin-disable").click();
      await page.getByTestId("admin-confirm-disable").click();
      await expect(card.getByTestId("admin-account")).toContainText("Disabled");
      await expect(card.getByTestId("admin-result")).toHaveText("Saved.");
      // The disabled agent cannot sign in.
      // Its open app was closed by the disabling and goes to sign-in itself: wait for that
      // navigation rather than race it.
      await expect(agent).toHaveURL(/\/signin/, { timeout: 15_000 });
      await agentContext.clearCookies();
      await signIn(agent, agentEmail);
      await expect(agent.getByText("This account has been disabled by an administrator.")).toBeVisible();
      await expect(agent).toHaveURL(/\/signin/);

      await card.getByTestId("admin-enable").click();
      await expect(card.getByTestId("admin-account")).toHaveText("Enabled");
      await signIn(agent, agentEmail);
      await expect(agent.getByRole("heading", { name: "Keypad" })).toBeVisible();

      // One's own account cannot be disabled, and the page says why.
      await page.getByLabel("Find a user (e-mail or sub)").fill(email);
      await page.getByTestId("admin-find-button").click();
      await expect(page.getByTestId("admin-user-name")).toHaveText(email);
      await expect(card.getByTestId("admin-disable")).toBeDisabled();
      await expect(card).toContainText("You cannot disable your own account.");
      // An unknown user is said to be unknown.
      await page.getByLabel("Find a user (e-mail or sub)").fill("nobody@example.com");
      await page.getByTestId("admin-find-button").click();
      await expect(page.getByTestId("admin-find-error")).toHaveText("No account has this e-mail or sub.");
      await Promise.all([context.close(), agentContext.close()]);
    });
  });
}

test("the admin page has no serious accessibility violations in the dark theme, and Settings links it", async ({ browser }) => {
  test.setTimeout(90_000);
  const { context, page } = await administrator(browser, { width: 1280, height: 800 });
  await context.addCookies([{ name: "sp_theme", value: "dark", url: page.url() }]);
  await page.goto("/settings");
  await hydrated(page);
  await page.getByTestId("admin-link").click();
  await expect(page).toHaveURL(/\/admin$/);
  await hydrated(page);
  await expect(page.getByTestId("admin-blocked-row").or(page.getByTestId("admin-none-blocked")).first()).toBeVisible();
  await page.getByLabel("Find a user (e-mail or sub)").fill("nobody@example.com");
  await page.getByTestId("admin-find-button").click();
  await expect(page.getByTestId("admin-find-error")).not.toBeEmpty();
  expect(await seriousViolations(page)).toEqual([]);
  await context.close();
});
