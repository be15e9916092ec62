// The CharTrainer binding that the web page drives: it must learn (the loss falls),
// sample deterministically for a given seed, stay inside its vocabulary, and reject
// unknown option keys instead of ignoring them.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CORPUS } from '../../web/src/corpus.ts';
import { loadCore } from './core.mjs';

// Small enough for a few hundred ms per run; keys are the CharTrainer options.
const OPTIONS = { dim: 32, n_layers: 1, n_heads: 2, n_kv_heads: 1, seq_len: 32, batch_size: 8, lr: 1e-2, warmup: 5, max_steps: 30 };

describe('CharTrainer (wasm)', () => {
  let M;
  let trainer;
  const losses = [];

  beforeAll(async () => {
    M = await loadCore();
    trainer = new M.CharTrainer(CORPUS, JSON.stringify(OPTIONS), 42);
    for (let i = 0; i < 30; i++) losses.push(trainer.step());
  });
  afterAll(() => trainer?.delete());

  test('version() is a non-empty string', () => {
    expect(typeof M.version()).toBe('string');
    expect(M.version().length).toBeGreaterThan(0);
  });

  test('builds a character vocabulary and a model', () => {
    expect(trainer.vocabSize()).toBe(new Set(CORPUS).size);
    expect(trainer.paramCount()).toBeGreaterThan(0);
    expect(() => JSON.parse(trainer.configJson())).not.toThrow();
  });

  test('the first loss is near ln(vocab) and training lowers it within 30 steps', () => {
    expect(losses.every(Number.isFinite)).toBe(true);
    // A fresh model with N(0, 0.02) init predicts nearly uniformly.
    expect(Math.abs(losses[0] - Math.log(trainer.vocabSize()))).toBeLessThan(0.5);
    expect(losses[29]).toBeLessThan(losses[0]);
    const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(losses.slice(-5))).toBeLessThan(mean(losses.slice(0, 5)));
  });

  test('sample() is deterministic for a seed and only uses characters of the text', () => {
    const a = trainer.sample('Once upon', 60, 0.8, 7);
    const b = trainer.sample('Once upon', 60, 0.8, 7);
    expect(a).toBe(b);
    expect(a.length).toBeGreaterThan(0);
    const vocab = new Set(CORPUS);
    for (const ch of a) expect(vocab.has(ch), `sampled ${JSON.stringify(ch)} is not in the text`).toBe(true);
  });

  // The binding must turn the C++ exception into a JS Error carrying what(): the page shows
  // that message, and a bare Emscripten exception pointer would tell the learner nothing.
  test('an unknown option key is rejected with an Error that names it', () => {
    expect(() => new M.CharTrainer(CORPUS, JSON.stringify({ dim: 32, no_such_key: 1 }), 1)).toThrow(/no_such_key/);
  });
});
