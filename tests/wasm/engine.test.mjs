// The paged engine binding of the Paged KV lab (wasm/engine_bindings.cpp): after every step the
// pool grid it reports is consistent (each block's ref count = the block tables holding it, the
// free count matches, no block over-filled), the step events tell allocation, sharing,
// copy-on-write and freeing, and when every request is done no block is left held.
import { describe, expect, test } from 'vitest';
import { loadCore } from './core.mjs';

function checkGrid(s) {
  const refs = new Array(s.num_blocks).fill(0);
  for (const q of s.seqs) for (const b of q.block_table) refs[b]++;
  expect(s.ref_count).toEqual(refs);
  expect(s.free_blocks).toBe(refs.filter((r) => r === 0).length);
  for (let b = 0; b < s.num_blocks; b++) {
    expect(s.block_tokens[b]).toBeLessThanOrEqual(s.block_size);
    // owners lists the same holders as the tables
    expect(s.owners[b].length).toBe(refs[b]);
  }
  expect(s.used_blocks).toBe(s.num_blocks - s.free_blocks);
  expect(s.waste_slots).toBe(s.slots - s.filled_slots);
  expect(s.waste_slots).toBeGreaterThanOrEqual(0);
}

function drain(e, kinds, maxSteps = 500) {
  let n = 0;
  while (e.hasWork() && n < maxSteps) {
    const r = JSON.parse(e.step());
    for (const ev of r.events) kinds[ev.kind] = (kinds[ev.kind] ?? 0) + 1;
    e.check();
    checkGrid(JSON.parse(e.snapshotJson()));
    n++;
  }
  expect(e.hasWork()).toBe(false);
  return n;
}

describe('PagedEngine (wasm)', () => {
  test('grid invariants hold every step; sharing, copy-on-write and no leaks at the end', async () => {
    const M = await loadCore();
    const e = new M.PagedEngine(JSON.stringify({ block_size: 4, num_blocks: 64, max_num_seqs: 8, max_batched_tokens: 64, prefix_sharing: true, model: 'random' }));
    const kinds = {};
    const story = 'Once upon a time there was a girl.';  // 34 bytes: 8 full blocks + 2 tokens
    e.addRequest(story, 1, 0, 6, 1);
    // one step prefills it and publishes its full blocks in the prefix cache
    for (const ev of JSON.parse(e.step()).events) kinds[ev.kind] = (kinds[ev.kind] ?? 0) + 1;
    e.addRequest(story + ' She', 1, 0, 6, 2);  // same prefix: its full blocks are shared
    e.addRequest('Tom had a red ball.', 3, 1.0, 8, 3);  // 3 samples share the prompt, then copy on write
    drain(e, kinds);
    const s = JSON.parse(e.snapshotJson());
    expect(kinds.alloc).toBeGreaterThan(0);
    expect(kinds.share).toBeGreaterThan(0);
    expect(kinds.cow).toBeGreaterThan(0);
    expect(kinds.free).toBeGreaterThan(0);
    expect(s.prefix_hits).toBeGreaterThan(0);
    expect(s.cow_copies).toBeGreaterThan(0);
    // nothing held once everything finished
    expect(s.free_blocks).toBe(s.num_blocks);
    expect(s.used_blocks).toBe(0);
    expect(s.requests_finished).toBe(3);
    expect(s.seqs.filter((q) => q.state === 'finished').length).toBe(5);
    for (const q of s.seqs) expect(q.text.length).toBeGreaterThan(0);
    e.delete();
  });

  test('a pool too small for everyone preempts and still finishes without leaks', async () => {
    const M = await loadCore();
    const e = new M.PagedEngine(JSON.stringify({ block_size: 4, num_blocks: 12, max_num_seqs: 4, prefix_sharing: false, model: 'random' }));
    for (let i = 0; i < 4; i++) e.addRequest(`request number ${i}.`, 1, 0.8, 16, 10 + i);
    drain(e, {});
    const s = JSON.parse(e.snapshotJson());
    expect(s.free_blocks).toBe(12);
    expect(s.requests_finished).toBe(4);
    e.delete();
  });

  test('bad options and bad requests are errors', async () => {
    const M = await loadCore();
    expect(() => new M.PagedEngine(JSON.stringify({ block_sise: 4 }))).toThrow(/block_sise/);
    expect(() => new M.PagedEngine(JSON.stringify({ model: 'big' }))).toThrow(/model/);
    const e = new M.PagedEngine(JSON.stringify({ model: 'random', num_blocks: 8, block_size: 4 }));
    expect(() => e.addRequest('', 1, 0, 4, 1)).toThrow();
    e.delete();
  });
});
