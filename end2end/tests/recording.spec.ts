import { expect, test } from "@playwright/test";
import { dial, hydrated, signUp } from "./helpers";

// The built-in PSTN simulator's echo number (README, docs/telephony.md).
const ECHO = "+65 6000 0001";

// Where recordings are kept: on disk (the embedded default) and, when the test command runs
// moto, in S3 (the second server, on the next port, on all the AWS back ends: DynamoDB for the
// metadata, Cognito for the accounts; playback through presigned URLs).
const port = Number(process.env.E2E_PORT ?? 3100);
const stores: [string, string][] = [["disk", `http://127.0.0.1:${port}`]];
if (process.env.SOFTPHONE_TEST_MOTO) stores.push(["S3", `http://127.0.0.1:${port + 1}`]);

for (const [store, baseURL] of stores) test.describe(`recordings on ${store}`, () => {
  test.use({ baseURL });

  test("a recorded call with a pause plays back from Recents and the call's page, and can be deleted", async ({ page, browser }) => {
    test.setTimeout(90_000);
    // This server keeps its recordings where this run says, and can reach it.
    const ready = await (await page.request.get("/readyz")).json();
    expect(ready.recordings_store).toBe(store.toLowerCase());
    expect(ready.recordings).toBe("ok");
    await signUp(page);
    await dial(page, ECHO);
    const panel = page.getByTestId("call-panel");
    await expect(panel).toHaveAttribute("data-state", "connected", { timeout: 15_000 });

    // "Ask each time" is the default: the call screen asks once the call is answered.
    await expect(page.getByTestId("record-ask")).toBeVisible();
    await page.getByTestId("record-start").click();
    const rec = page.getByTestId("rec-indicator");
    await expect(rec).toHaveAttribute("data-state", "recording");
    // The recorded time runs (0:00 → 0:01 …).
    await expect(page.getByTestId("rec-elapsed")).toHaveText(/^0:0[1-9]$/, { timeout: 5_000 });
    await page.getByTestId("record-pause").click();
    await expect(rec).toHaveAttribute("data-state", "paused");
    // The elapsed time stands still while paused.
    const pausedAt = await page.getByTestId("rec-elapsed").textContent();
    await page.waitForTimeout(1500);
    await expect(page.getByTestId("rec-elapsed")).toHaveText(pausedAt!);
    await page.getByTestId("record-resume").click();
    await expect(rec).toHaveAttribute("data-state", "recording");
    await page.waitForTimeout(1500);
    await page.getByTestId("end-call").click();
    await expect(panel).toHaveAttribute("data-state", "ended");
    await page.getByTestId("dismiss-call").click();

    // Recents: the call has a recording; it opens in place.
    await page.goto("/recents");
    await hydrated(page);
    const row = page.getByTestId("call-row").first();
    await expect(row).toHaveAttribute("data-has-recording", "true");
    await row.getByTestId("recording-toggle").click();
    const player = page.getByTestId("recording-player");
    await expect(player).toBeVisible({ timeout: 10_000 });
    await expect(player.getByTestId("recording-facts")).toContainText("consent notice played");
    await expect(player.getByTestId("recording-facts")).toContainText("Paused 1×");

    // The waveform is drawn for both channels (the echo of the fake microphone's tone).
    const heights = await page
      .getByTestId("waveform")
      .locator("rect")
      .evaluateAll((rects) => rects.map((r) => Number(r.getAttribute("height"))));
    expect(heights.length).toBeGreaterThan(400);
    expect(heights.slice(0, 240).filter((h) => h > 10).length).toBeGreaterThan(100);
    expect(heights.slice(240, 480).filter((h) => h > 10).length).toBeGreaterThan(100);

    // It plays, and seeking works (range requests).
    const audio = page.getByTestId("recording-audio");
    const played = await audio.evaluate(async (a: HTMLAudioElement) => {
      await a.play();
      await new Promise((r) => setTimeout(r, 800));
      const t = a.currentTime;
      a.pause();
      a.currentTime = a.duration - 0.5;
      await new Promise((r) => a.addEventListener("seeked", r, { once: true }));
      return { t, d: a.duration, seeked: a.currentTime };
    });
    expect(played.t).toBeGreaterThan(0.3);
    expect(played.d).toBeGreaterThan(3);
    expect(played.seeked).toBeGreaterThan(played.d - 1);
    const src = (await audio.getAttribute("src"))!;
    // Disk: served here. S3: a redirect to a presigned GET that expires within 5 minutes.
    const direct = await page.request.get(src, { maxRedirects: 0 });
    if (store === "S3") {
      expect(direct.status()).toBe(307);
      expect(direct.headers()["location"]).toMatch(/X-Amz-Expires=300(&|$)/);
    } else {
      expect(direct.status()).toBe(200);
    }
    const ranged = await page.request.get(src, { headers: { Range: "bytes=0-43" } });
    expect(ranged.status()).toBe(206);
    expect(ranged.headers()["content-type"]).toBe("audio/wav");
    const head = await ranged.body();
    expect(head.length).toBe(44);
    expect(head.subarray(0, 4).toString()).toBe("RIFF");
    expect(head.readUInt16LE(22)).toBe(2); // stereo
    expect(head.readUInt32LE(24)).toBe(8000);
    const download = await page.request.get(`${src}?download=1`);
    expect(download.headers()["content-disposition"]).toMatch(/^attachment; filename="call-recording-/);

    // Nobody else can reach it: not the audio, not the metadata.
    const id = (await player.getAttribute("data-recording-id"))!;
    const other = await browser.newContext({ baseURL });
    const otherPage = await other.newPage();
    await signUp(otherPage);
    expect((await otherPage.request.get(src)).status()).toBe(404);
    const meta = await otherPage.request.post("/api/recordings/get", { headers: { Origin: baseURL! }, data: { id } });
    expect(meta.status()).toBe(404);
    expect(await meta.text()).toContain("NotFound");
    await other.close();

    // The call's own page shows it too; delete asks first, then removes it.
    await row.getByTestId("call-details").click();
    await expect(page).toHaveURL(/\/recents\/[0-9a-f-]+$/);
    const onPage = page.getByTestId("recording-player");
    await expect(onPage).toBeVisible({ timeout: 10_000 });
    await onPage.getByTestId("recording-delete").click();
    await expect(page.getByRole("alertdialog")).toContainText("cannot be undone");
    await page.getByTestId("recording-delete-confirm").click();
    await expect(page.getByTestId("no-recording")).toBeVisible();
    expect((await page.request.get(src)).status()).toBe(404);
    await page.goto("/recents");
    await hydrated(page);
    await expect(page.getByTestId("call-row").first()).toHaveAttribute("data-has-recording", "false");
  });
});

test("with 'record every call' the recording starts at the answer; 'never' offers no record button", async ({ page }) => {
  test.setTimeout(60_000);
  await signUp(page);
  await page.goto("/settings");
  await hydrated(page);
  await page.getByLabel("Record every call").check();
  await expect(page.getByTestId("recording-mode-status")).toHaveText("Saved.");
  await dial(page, ECHO);
  await expect(page.getByTestId("call-panel")).toHaveAttribute("data-state", "connected", { timeout: 15_000 });
  await expect(page.getByTestId("rec-indicator")).toHaveAttribute("data-state", "recording");
  await expect(page.getByTestId("record-ask")).toBeHidden();
  await page.getByTestId("record-stop").click();
  await expect(page.getByTestId("rec-indicator")).toHaveAttribute("data-state", "stopped");
  await page.getByTestId("end-call").click();
  await page.getByTestId("dismiss-call").click();

  await page.goto("/settings");
  await hydrated(page);
  await expect(page.getByLabel("Record every call")).toBeChecked();
  await page.getByLabel("Never record").check();
  await expect(page.getByTestId("recording-mode-status")).toHaveText("Saved.");
  await dial(page, ECHO);
  await expect(page.getByTestId("call-panel")).toHaveAttribute("data-state", "connected", { timeout: 15_000 });
  await page.waitForTimeout(500);
  await expect(page.getByTestId("record-start")).toHaveCount(0);
  await expect(page.getByTestId("rec-indicator")).toHaveCount(0);
  await page.getByTestId("end-call").click();
});
