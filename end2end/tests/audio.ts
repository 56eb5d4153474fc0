import { expect, Page } from "@playwright/test";

// What the page hears from the far end (the remote <audio> element), measured in the page.

/**
 * Listens to the far end's audio in the page for `ms`: the overall level, the share of the
 * power at `hz`, and that share's peak over any 100 ms stretch (for tones with a cadence).
 */
export async function listen(page: Page, hz: number, ms = 1200): Promise<{ rms: number; purity: number; peak: number }> {
  return page.evaluate(
    async ([hz, ms]) => {
      const audio = document.querySelector('[data-testid="remote-audio"]') as HTMLAudioElement;
      const ctx = new AudioContext();
      const analyser = ctx.createAnalyser();
      analyser.fftSize = 4096;
      ctx.createMediaStreamSource(audio.srcObject as MediaStream).connect(analyser);
      const buf = new Float32Array(analyser.fftSize);
      let power = 0, tone = 0, blocks = 0, peak = 0;
      const end = performance.now() + ms;
      while (performance.now() < end) {
        await new Promise((r) => setTimeout(r, 100));
        analyser.getFloatTimeDomainData(buf);
        const n = buf.length, c = 2 * Math.cos((2 * Math.PI * hz) / ctx.sampleRate);
        let s1 = 0, s2 = 0, p = 0;
        for (let i = 0; i < n; i++) {
          const s0 = buf[i] + c * s1 - s2;
          s2 = s1; s1 = s0; p += buf[i] * buf[i];
        }
        const blockPower = p / n, blockTone = (2 * (s1 * s1 + s2 * s2 - c * s1 * s2)) / (n * n);
        if (blockPower > 1e-6) peak = Math.max(peak, Math.min(1, blockTone / blockPower));
        power += blockPower;
        tone += blockTone;
        blocks += 1;
      }
      await ctx.close();
      const mean = power / Math.max(blocks, 1);
      return { rms: Math.sqrt(mean), purity: mean > 0 ? Math.min(1, tone / blocks / mean) : 0, peak };
    },
    [hz, ms] as const,
  );
}

/** DTMF keys heard in the far end's audio over `ms` (Goertzel on the 8 DTMF frequencies). */
export async function hearKeys(page: Page, ms: number): Promise<string> {
  return page.evaluate(async (ms) => {
    const audio = document.querySelector('[data-testid="remote-audio"]') as HTMLAudioElement;
    const ctx = new AudioContext();
    const analyser = ctx.createAnalyser();
    analyser.fftSize = 2048;
    ctx.createMediaStreamSource(audio.srcObject as MediaStream).connect(analyser);
    const buf = new Float32Array(analyser.fftSize);
    const rows = [697, 770, 852, 941], cols = [1209, 1336, 1477, 1633];
    const keys = ["123A", "456B", "789C", "*0#D"];
    const power = (f: number) => {
      const c = 2 * Math.cos((2 * Math.PI * f) / ctx.sampleRate);
      let s1 = 0, s2 = 0;
      for (let i = 0; i < buf.length; i++) { const s0 = buf[i] + c * s1 - s2; s2 = s1; s1 = s0; }
      return s1 * s1 + s2 * s2 - c * s1 * s2;
    };
    // A key ends only after 150 ms without it: on a loaded machine the audio can drop out for
    // a moment inside one tone, which must not count the key twice. Keys pressed apart (the
    // tests wait over half a second between presses) still count each time.
    let heard = "", held = "", heldAt = 0;
    const end = performance.now() + ms;
    while (performance.now() < end) {
      await new Promise((r) => setTimeout(r, 25));
      analyser.getFloatTimeDomainData(buf);
      const r = rows.map(power), c = cols.map(power);
      const ri = r.indexOf(Math.max(...r)), ci = c.indexOf(Math.max(...c));
      const strong = r[ri] > 5 * r.filter((_, i) => i !== ri).reduce((a, b) => Math.max(a, b), 0)
        && c[ci] > 5 * c.filter((_, i) => i !== ci).reduce((a, b) => Math.max(a, b), 0)
        && r[ri] > 1;
      const key = strong ? keys[ri][ci] : "";
      const now = performance.now();
      if (key && key !== held) heard += key;
      if (key) {
        held = key;
        heldAt = now;
      } else if (now - heldAt > 150) {
        held = "";
      }
    }
    await ctx.close();
    return heard;
  }, ms);
}

/** The fake microphone's 440 Hz tone comes back from the echo number; muting silences the
 *  echo (the far end gets silence) and unmuting brings it back. `firstMs`, `settleMs`: how
 *  long the audio path takes to settle before the first measurement and after each press. */
export async function expectEchoThenMuteSilences(page: Page, firstMs: number, settleMs: number): Promise<void> {
  await page.waitForTimeout(firstMs);
  const heard = await listen(page, 440);
  expect(heard.rms).toBeGreaterThan(0.01);
  expect(heard.purity).toBeGreaterThan(0.5);

  await page.getByTestId("mute-button").click();
  await expect(page.getByTestId("mute-button")).toHaveAttribute("aria-pressed", "true");
  await expect(page.getByTestId("muted-note")).toBeVisible();
  await page.waitForTimeout(settleMs);
  // What the browser had buffered plays out first (longer on a loaded machine): silence must
  // follow within a few seconds, and stay.
  await expect
    .poll(async () => (await listen(page, 440, 600)).rms, { timeout: 10_000 })
    .toBeLessThan(heard.rms / 10);
  const muted = await listen(page, 440);
  expect(muted.rms).toBeLessThan(heard.rms / 10);

  await page.getByTestId("mute-button").click();
  await expect(page.getByTestId("mute-button")).toHaveAttribute("aria-pressed", "false");
  await page.waitForTimeout(settleMs);
  await expect
    .poll(async () => (await listen(page, 440, 600)).rms, { timeout: 10_000 })
    .toBeGreaterThan(0.01);
}
