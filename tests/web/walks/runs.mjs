// Walk of the Run viewer: load a metrics.jsonl (a native run's if runs/ has one, else a
// generated file in the same format) and check the curves and the telemetry heatmap appear.
// Screenshot: runs.png.
import fs from 'node:fs';
import path from 'node:path';
import { check, log, open, repo, shot } from '../align_walk_util.mjs';

function sampleMetrics() {
  const lines = [];
  for (let s = 1; s <= 60; s++) {
    lines.push(JSON.stringify({ type: 'step', step: s, loss: 5 * Math.exp(-s / 30) + 1, lr: 1e-3, grad_norm: 1 / s, tokens_per_s: 1000 }));
    if (s % 20 === 0) lines.push(JSON.stringify({ type: 'eval', step: s, val_loss: 5 * Math.exp(-s / 30) + 1.2 }));
    if (s % 10 === 0)
      lines.push(JSON.stringify({ type: 'telemetry', step: s, layers: [0, 1, 2].map((l) => ({ layer: l, act_rms: 0.1 * (l + 1), act_max: l + 1, grad_norm: 1 / (l + 1) })) }));
  }
  return lines.join('\n') + '\n';
}

export async function walk(page, ctx) {
  await open(page, 'runs');
  const native = path.join(repo, 'runs/pretrain-small/metrics.jsonl');
  const useNative = fs.existsSync(native) && fs.statSync(native).size > 0;
  await page.setInputFiles('#runs-file', useNative ? native : { name: 'metrics.jsonl', mimeType: 'application/json', buffer: Buffer.from(sampleMetrics()) });
  await page.waitForFunction(() => Number(document.querySelector('section.runs')?.dataset.loaded ?? 0) > 0, null, { timeout: 30_000 });
  check((await page.locator('#runs-loss .uplot').count()) === 1, 'runs: no loss chart');
  // the caption's text is in the page's language; data-layers is the layer count it describes
  const layers = Number(await page.getAttribute('#runs-heat-caption', 'data-layers'));
  check(layers > 0, `runs: heatmap caption says "${await page.textContent('#runs-heat-caption')}"`);
  const st = await page.evaluate(() => ({ steps: window.__runsState.metrics.steps.length, tele: window.__runsState.metrics.telemetry.length }));
  log(ctx, `runs: ${useNative ? 'runs/pretrain-small' : 'generated'} metrics: ${st.steps} steps, ${st.tele} telemetry rows`);
  await shot(page, ctx, 'runs');
}
