import { expect, test } from "@playwright/test";
import { hydrated, signUp } from "./helpers";

test.beforeEach(async ({ page }) => {
  await signUp(page);
  await hydrated(page);
});

test("typing formats the number and says what it is", async ({ page }) => {
  const input = page.getByLabel("Phone number");
  const verdict = page.getByTestId("dial-verdict");
  const call = page.getByTestId("call-button");
  await expect(call).toBeDisabled();
  // en-US browsers default to Singapore; typed national numbers are read as Singapore's.
  await input.pressSequentially("81234567");
  await expect(input).toHaveValue("8123 4567");
  await expect(verdict).toHaveText("Mobile · Singapore");
  await expect(call).toBeEnabled();

  await input.press("Backspace");
  await expect(input).toHaveValue("8123 456");
  await expect(verdict).toHaveText("Too short for a number in Singapore.");
  await expect(call).toBeDisabled();

  await input.fill("");
  await input.pressSequentially("+6519001234567");
  await expect(input).toHaveValue("+65 1900 123 4567");
  await expect(verdict).toHaveText("Premium-rate numbers cannot be dialled.");
  await expect(call).toBeDisabled();

  await input.fill("");
  await page.getByLabel("Country").selectOption("PA");
  await input.pressSequentially("61234567");
  await expect(input).toHaveValue("6123-4567");
  await expect(verdict).toHaveText("Mobile · Panama");
  await expect(page.getByTestId("dial-flag")).toHaveText("🇵🇦");
});

test("pasting messy numbers normalises them", async ({ page }) => {
  const input = page.getByLabel("Phone number");
  const verdict = page.getByTestId("dial-verdict");
  const paste = async (text: string) => {
    await input.fill("");
    await input.focus();
    await page.evaluate((t) => {
      const data = new DataTransfer();
      data.setData("text", t);
      document.activeElement!.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
    }, text);
  };
  await paste("0065 8123 4567");
  await expect(input).toHaveValue("+65 8123 4567");
  await expect(verdict).toHaveText("Mobile · Singapore");
  await paste("tel:+507-6123-4567");
  await expect(input).toHaveValue("+507 6123-4567");
  await expect(verdict).toHaveText("Mobile · Panama");
  await paste("(65) 6511-7637");
  await expect(input).toHaveValue("+65 6511 7637");
  await expect(verdict).toHaveText("Landline · Singapore");
  await paste("+1 202 555 0173");
  await expect(verdict).toHaveText("Only numbers in Panama (+507) and Singapore (+65) can be called.");
  await paste("call me maybe");
  await expect(verdict).toHaveText("That is not a phone number: use digits, spaces and + only.");
  await expect(page.getByTestId("call-button")).toBeDisabled();
});

test("the on-screen keypad, long-press 0 for +, backspace, keyboard and the server's check", async ({ page }) => {
  const input = page.getByLabel("Phone number");
  const zero = page.locator('button[data-key="0"]');
  // Long press on 0 gives +.
  await zero.hover();
  await page.mouse.down();
  await page.waitForTimeout(800);
  await page.mouse.up();
  await expect(input).toHaveValue("+");
  for (const key of "6581234567") {
    await page.locator(`button[data-key="${key}"]`).click();
  }
  await expect(input).toHaveValue("+65 8123 4567");
  await page.getByTestId("backspace").click();
  await expect(input).toHaveValue("+65 8123 456");
  // Typing with the focus elsewhere still dials.
  await page.locator("h1").click();
  await page.keyboard.press("7");
  await expect(input).toHaveValue("+65 8123 4567");
  // Enter places the call (the server re-checks the number); end it from the call screen.
  await page.keyboard.press("Enter");
  const panel = page.getByTestId("call-panel");
  await expect(panel).toBeVisible();
  await page.getByTestId("end-call").click();
  await expect(panel).toHaveAttribute("data-state", "ended");
  // Last-dialled recall.
  await input.fill("");
  await expect(page.getByTestId("dial-verdict")).toHaveText("Press Call to bring back +6581234567.");
  await page.getByTestId("call-button").click();
  await expect(input).toHaveValue("+65 8123 4567");
  // Holding backspace clears the whole number.
  await page.getByTestId("backspace").hover();
  await page.mouse.down();
  await page.waitForTimeout(800);
  await page.mouse.up();
  await expect(input).toHaveValue("");
});

test("call attempts are throttled by the server", async ({ page }) => {
  const input = page.getByLabel("Phone number");
  const verdict = page.getByTestId("dial-verdict");
  await input.pressSequentially("+6581234567");
  const panel = page.getByTestId("call-panel");
  // Five attempts a minute are allowed (each a real call, ended at once); the sixth is refused.
  for (let i = 0; i < 5; i++) {
    await input.press("Enter");
    await expect(panel).toBeVisible();
    await page.getByTestId("end-call").click();
    await expect(panel).toHaveAttribute("data-state", "ended");
    await input.fill("");
    await input.pressSequentially("+6581234567");
  }
  await input.press("Enter");
  await expect(verdict).toContainText(/Too many call attempts\. Try again in \d+ s\./);
});
