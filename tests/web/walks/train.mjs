// Pretrain lab: train the tiny BPE model on the stories; the loss falls, telemetry and samples
// appear, pause works within a slice, and the UI stays responsive.
export async function walk(page, ctx) {
  await ctx.open('train');
  const steps = Math.max(20, ctx.STEPS);
  await page.locator('#train-steps').fill(String(steps));
  await page.locator('#train-start').click();
  await ctx.until(() => (window.__pretrain?.steps.length ?? 0) >= 2 || window.__pretrain?.error, null, ctx.TIMEOUT_MS, 'training did not start');
  const lag = await page.evaluate(async () => {
    let worst = 0;
    for (let i = 0; i < 10; i++) {
      const t = performance.now();
      await new Promise((r) => setTimeout(r, 0));
      worst = Math.max(worst, performance.now() - t);
    }
    return worst;
  });
  if (lag > 250) ctx.fail(`the main thread was blocked for ${lag.toFixed(0)} ms while training`);
  await ctx.until((n) => (window.__pretrain.steps.length >= n && !window.__pretrain.running) || window.__pretrain.error, steps, ctx.TIMEOUT_MS, `training did not finish ${steps} steps`);
  const s = await page.evaluate(() => ({ losses: window.__pretrain.steps.map((x) => x.loss), tele: window.__pretrain.telemetry.length, samples: window.__pretrain.samples.length, error: window.__pretrain.error, msg: window.__pretrain.message }));
  if (s.error) ctx.fail(`the page reported: ${s.msg}`);
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const first = mean(s.losses.slice(0, 3)), last = mean(s.losses.slice(-3));
  ctx.log(`pretrain: ${s.losses.length} steps, loss ${first.toFixed(3)} -> ${last.toFixed(3)}, ${s.tele} telemetry rows`);
  if (!(last < first - 0.5)) ctx.fail(`the loss did not fall enough: ${first} -> ${last}`);
  if (s.tele < 1) ctx.fail('no telemetry');
  if ((await page.locator('#chart-loss canvas').count()) === 0) ctx.fail('the loss chart has no canvas');
  // pause and resume: a long run stops promptly
  await page.locator('#train-steps').fill('100000');
  await page.locator('#train-start').click();
  await ctx.until((n) => window.__pretrain.steps.length >= n + 2, steps, 60_000, 'resume did not train');
  const t0 = Date.now();
  await page.locator('#train-start').click();
  await ctx.until(() => !window.__pretrain.running, null, 10_000, 'pause did not stop training within 10 s');
  ctx.log(`pause took ${Date.now() - t0} ms`);
  await ctx.shot('train');
  await page.setViewportSize({ width: 390, height: 844 });
  await ctx.shot('train-mobile');
  await page.setViewportSize({ width: 1280, height: 900 });
}
