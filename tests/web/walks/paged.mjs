// Walk of the Paged KV lab: reset the pool, add the demo requests, step by hand and watch the
// grid change, then play to the end: every block must be free again. Screenshots: paged.png
// (mid-run) and paged-done.png.
import { check, log, open, shot } from '../align_walk_util.mjs';

const held = (page) => page.locator('#paged-grid .block:not(.free)').count();

export async function walk(page, ctx) {
  await open(page, 'paged');
  await page.fill('#paged-bs', '4');
  await page.fill('#paged-nb', '48');
  await page.click('#paged-reset');
  await page.waitForFunction(() => document.querySelectorAll('#paged-grid .block').length === 48, null, { timeout: 30_000 });
  check((await held(page)) === 0, 'paged: a fresh pool holds blocks');
  await page.click('#paged-demo');
  await page.waitForFunction(() => window.__pagedState?.snapshot?.requests_added === 3, null, { timeout: 30_000 });
  // the list shows the last step's events; a decode step that fills a slot of an already held
  // block has none, so step by hand until a step lists some (a block is allocated at least every
  // block_size tokens) and remember the most blocks held along the way
  let mid = 0;
  let listed = 0;
  for (let i = 0; i < 12 && listed === 0; i++) {
    const before = await page.evaluate(() => window.__pagedState.history);
    await page.click('#paged-step');
    await page.waitForFunction((b) => window.__pagedState.history > b, before, { timeout: 30_000 });
    mid = Math.max(mid, await held(page));
    listed = await page.locator('#paged-events li.ev').count();
  }
  check(mid > 0, 'paged: no block is held while stepping');
  check(listed > 0, 'paged: no events listed in 12 steps');
  await shot(page, ctx, 'paged');
  await page.click('#paged-play');
  await page.waitForFunction(() => {
    const s = window.__pagedState?.snapshot;
    return s && !window.__pagedState.playing && s.requests_finished === s.requests_added;
  }, null, { timeout: 120_000 });
  const s = await page.evaluate(() => window.__pagedState.snapshot);
  check(s.free_blocks === s.num_blocks, `paged: ${s.num_blocks - s.free_blocks} blocks leaked`);
  check(s.cow_copies > 0 && s.prefix_hits > 0, `paged: prefix hits ${s.prefix_hits}, copy-on-write ${s.cow_copies}`);
  log(ctx, `paged: ${s.steps} steps, peak view ${mid} blocks held, ${s.prefix_hits} prefix hits, ${s.cow_copies} copy-on-write`);
  await shot(page, ctx, 'paged-done');
}
