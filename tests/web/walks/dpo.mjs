// Walk of the DPO lab: train for a few dozen steps; the first batch must start at loss ln 2
// (policy = reference), held-out accuracy at 1/2, and the margin must grow. Screenshot: dpo.png.
import { check, ensureBase, log, open, shot } from '../align_walk_util.mjs';

export async function walk(page, ctx) {
  await open(page, 'dpo');
  if (await ensureBase(page, 'dpo')) log(ctx, 'dpo: pretrained the tiny chat base in the page');
  // the LoRA fields appear only for the LoRA method
  check(!(await page.isVisible('#dpo-rank')), 'dpo: LoRA rank shown for full fine-tuning');
  await page.selectOption('#dpo-method', 'lora');
  check((await page.isVisible('#dpo-rank')) && (await page.isVisible('#dpo-alpha')), 'dpo: LoRA rank/alpha not shown for LoRA');
  await page.selectOption('#dpo-method', 'full');
  await page.fill('#dpo-steps', '40');
  await page.click('#dpo-toggle');
  await page.waitForFunction(() => ['done', 'error'].includes(window.__dpoState?.status), null, { timeout: 300_000 });
  const st = await page.evaluate(() => window.__dpoState);
  check(st.status === 'done', `dpo: run ended with ${st.status}: ${st.message}`);
  check(Math.abs(st.loss[0] - Math.LN2) < 1e-3, `dpo: first loss ${st.loss[0]} is not ln 2`);
  check(Math.abs(st.evals[0].accuracy - 0.5) < 1e-9, `dpo: initial held-out accuracy ${st.evals[0].accuracy} is not 1/2`);
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  check(mean(st.margin.slice(-10)) > 0, `dpo: margin did not grow (${st.margin.at(-1)})`);
  await page.click('#dpo-answers-btn');
  await page.waitForSelector('#dpo-answers article', { timeout: 60_000 });
  log(ctx, `dpo: loss ${st.loss[0].toFixed(3)} -> ${st.loss.at(-1).toFixed(3)}, held-out accuracy ${st.evals[0].accuracy} -> ${st.evals.at(-1).accuracy.toFixed(3)}`);
  await shot(page, ctx, 'dpo');
}
