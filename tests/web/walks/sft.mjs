// Walk of the SFT lab: make a chat base if needed, fine-tune (LoRA) for a few dozen steps, check
// the loss fell and the held-out loss improved, that the loss mask highlights tokens, and that
// answers before/after appear. Screenshot: sft.png.
import { check, ensureBase, log, open, shot } from '../align_walk_util.mjs';

export async function walk(page, ctx) {
  await open(page, 'sft');
  if (await ensureBase(page, 'sft')) log(ctx, 'sft: pretrained the tiny chat base in the page');
  await page.fill('#sft-steps', '60');
  await page.click('#sft-toggle');
  await page.waitForFunction(() => ['done', 'error'].includes(window.__sftState?.status), null, { timeout: 300_000 });
  const st = await page.evaluate(() => window.__sftState);
  check(st.status === 'done', `sft: run ended with ${st.status}: ${st.message}`);
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  check(mean(st.losses.slice(-5)) < mean(st.losses.slice(0, 5)), `sft: loss did not fall (${st.losses[0]} -> ${st.losses.at(-1)})`);
  check(st.evalLosses.at(-1) < st.baseLoss, `sft: held-out loss ${st.evalLosses.at(-1)} not below base ${st.baseLoss}`);
  const scored = await page.locator('#sft-mask .tok.scored').count();
  const all = await page.locator('#sft-mask .tok').count();
  check(scored > 0 && scored < all, `sft: mask shows ${scored} scored of ${all} tokens`);
  await page.click('#sft-answers-btn');
  await page.waitForSelector('#sft-answers article', { timeout: 60_000 });
  log(ctx, `sft: loss ${st.losses[0].toFixed(3)} -> ${st.losses.at(-1).toFixed(3)}, held-out ${st.baseLoss.toFixed(3)} -> ${st.evalLosses.at(-1).toFixed(3)}`);
  await shot(page, ctx, 'sft');
}
