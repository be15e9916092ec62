// Pretrain lab: train the tiny BPE model on the stories; the loss falls, telemetry and samples
// appear, pause works within a slice, the UI stays responsive, and a model saved to the browser
// and restored continues at its saved step.
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

  // save to the browser, start over, restore: the weights, the step counter and the curve come
  // back, and Resume continues at the next step with the form's settings
  await page.evaluate(() => (window.__pretrain.savedStep = null));
  await page.locator('#train-save').click();
  await ctx.until(() => window.__pretrain.savedStep !== null || window.__pretrain.error, null, 30_000, 'saving to the browser did not finish');
  const saved = await page.evaluate(() => ({ step: window.__pretrain.savedStep, curve: window.__pretrain.steps.length, error: window.__pretrain.error, msg: window.__pretrain.message }));
  if (saved.error) ctx.fail(`saving: ${saved.msg}`);
  await page.locator('#train-new').click();
  await ctx.until(() => window.__pretrain.steps.length === 0 && !window.__pretrain.info, null, 5_000, 'New model did not clear the lab');
  await page.locator('#train-restore').click();
  await ctx.until(
    (n) => (!window.__pretrain.running && window.__pretrain.info?.model?.steps === n && window.__pretrain.info?.trainData) || window.__pretrain.error,
    saved.step, 60_000, 'restoring did not finish',
  );
  const restored = await page.evaluate(() => ({ step: window.__pretrain.info.model.steps, curve: window.__pretrain.steps.length, last: window.__pretrain.steps.at(-1)?.step, error: window.__pretrain.error, msg: window.__pretrain.message }));
  if (restored.error) ctx.fail(`restoring: ${restored.msg}`);
  if (restored.curve !== saved.curve || restored.last !== saved.step) ctx.fail(`the restored curve has ${restored.curve} points up to step ${restored.last}, saved ${saved.curve} up to ${saved.step}`);
  await page.locator('#train-steps').fill(String(saved.step + 3));
  await page.locator('#train-start').click();
  await ctx.until((n) => (!window.__pretrain.running && window.__pretrain.steps.at(-1)?.step === n) || window.__pretrain.error, saved.step + 3, 60_000, 'training after the restore did not reach its target');
  const resumed = await page.evaluate((n) => ({ next: window.__pretrain.steps[n]?.step, lr: window.__pretrain.steps.at(-1)?.lr, error: window.__pretrain.error, msg: window.__pretrain.message }), saved.curve);
  if (resumed.error) ctx.fail(`training after the restore: ${resumed.msg}`);
  if (resumed.next !== saved.step + 1) ctx.fail(`after the restore training went on at step ${resumed.next}, not ${saved.step + 1}`);
  ctx.log(`save / restore: step ${saved.step} kept, resumed at ${resumed.next} (lr ${resumed.lr})`);
  await ctx.shot('train');
  await page.setViewportSize({ width: 390, height: 844 });
  await ctx.shot('train-mobile');
  await page.setViewportSize({ width: 1280, height: 900 });
}
