// The model-level wasm API the web page drives (wasm/{tokenizer,model,train,infer,checkpoint}_bindings.cpp):
// tokenizers agree with the native golden ids, training lowers the loss, a checkpoint round trip
// gives the same greedy text, and bad inputs come back as JS Errors with messages.
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCore, repo } from './core.mjs';

let M;
beforeAll(async () => {
  M = await loadCore();
});

const corpus = () => fs.readFileSync(path.join(repo, 'tests/tokenizer/data/corpus.txt'), 'utf8');
const golden = () => JSON.parse(fs.readFileSync(path.join(repo, 'tests/tokenizer/data/golden_ids.json'), 'utf8'));

function greedy(prompt, n) {
  const g = new M.Generator(prompt, JSON.stringify({ temperature: 0, max_tokens: n }));
  let text = '';
  while (!g.done()) text += g.next();
  const tokens = g.tokens();
  g.delete();
  return { text, tokens };
}

describe('tokenizers', () => {
  it('give the native golden ids for every type (same corpus, same vocab)', () => {
    const g = golden();
    for (const type of ['bpe', 'wordpiece', 'unigram']) {
      const tok = M.trainTokenizer(type, corpus(), g[type].vocab_size);
      for (const c of g[type].cases) expect(Array.from(tok.encode(c.text)), `${type}: ${c.text}`).toEqual(c.ids);
      tok.delete();
    }
  });

  it('round-trip through tokenizer.json and give byte spans that cover the text', () => {
    const tok = M.trainTokenizer('bpe', corpus(), 400);
    const again = M.tokenizerFromJson(tok.toJson());
    const text = 'Once upon a time, 小猫 played.';
    expect(Array.from(again.encode(text))).toEqual(Array.from(tok.encode(text)));
    expect(tok.decode(tok.encode(text))).toBe(text);
    const enc = JSON.parse(tok.encodeJson(text));
    expect(enc.ids.length).toBe(enc.spans.length);
    expect(enc.spans[0][0]).toBe(0);
    expect(enc.spans.at(-1)[1]).toBe(Buffer.byteLength(text));
    for (let i = 1; i < enc.spans.length; i++) expect(enc.spans[i][0]).toBe(enc.spans[i - 1][1]);
    tok.delete();
    again.delete();
  });

  it('teaching BPE learns merges one step at a time, most frequent pair first', () => {
    const t = new M.BpeTeacher('aaab aaab aaab ab');
    const m = JSON.parse(t.step());
    expect(m.id).toBe(256);
    expect(m.count).toBeGreaterThan(0);
    expect(t.mergeCount()).toBe(1);
    let n = 1;
    while (t.step()) n++;
    expect(t.mergeCount()).toBe(n);
    expect(t.step()).toBe('');
    t.delete();
  });

  it('bad inputs are JS Errors with messages', () => {
    expect(() => M.trainTokenizer('bogus', 'abc', 300)).toThrow(/bpe, wordpiece or unigram/);
    expect(() => M.trainTokenizer('bpe', '', 300)).toThrow(/empty/);
    expect(() => M.tokenizerFromJson('{not json')).toThrow(Error);
  });
});

describe('models, training, generation, checkpoints', () => {
  it('Model reports parameters and attention rows that sum to one (causal)', () => {
    const m = new M.Model(JSON.stringify({ dim: 32, n_layers: 2, n_heads: 4, n_kv_heads: 2, vocab_size: 300, max_seq_len: 32 }), 1);
    const mem = JSON.parse(m.memoryJson(2, 16));
    expect(mem.params).toBe(m.paramCount());
    const a = JSON.parse(m.attentionJson([1, 2, 3, 4, 5]));
    expect(a.layers).toBe(2);
    expect(a.heads).toBe(4);
    for (const row of [0, 4]) {
      const p = a.probs[1][3].slice(row * 5, row * 5 + 5);
      expect(p.reduce((x, y) => x + y, 0)).toBeCloseTo(1, 3);
      for (let j = row + 1; j < 5; j++) expect(p[j]).toBe(0);
    }
    expect(() => m.attentionJson([1, 999])).toThrow(/outside the vocabulary/);
    m.delete();
    expect(() => new M.Model(JSON.stringify({ dim: 30, n_heads: 4 }), 1)).toThrow(Error);
  });

  it('train steps reduce the loss; save -> load gives the same greedy text', () => {
    const text = M.generateStories(300, 1);
    const tok = M.trainTokenizer('bpe', text, 512);
    M.setSessionTokenizer(tok);
    tok.delete();
    M.buildModel(JSON.stringify({
      model: { dim: 64, n_layers: 2, n_heads: 4, n_kv_heads: 2, vocab_size: 512, max_seq_len: 64 },
      batch_size: 8, seq_len: 32, max_steps: 60, warmup_steps: 5, lr: 0.005, min_lr: 0.0005,
    }));
    const info = JSON.parse(M.setTrainText(text, 0.05, 1));
    expect(info.trainData.trainTokens).toBeGreaterThan(1000);
    const losses = [];
    let tele = null;
    for (let i = 0; i < 60; i++) {
      const s = JSON.parse(M.trainStep(i === 59));
      losses.push(s.loss);
      if (s.telemetry) tele = s.telemetry;
    }
    const first = losses.slice(0, 5).reduce((a, b) => a + b) / 5;
    const last = losses.slice(-5).reduce((a, b) => a + b) / 5;
    expect(last).toBeLessThan(first - 1.0);
    expect(tele.length).toBe(2);
    expect(Number.isFinite(M.evalLoss(2))).toBe(true);

    const before = greedy('Once upon a time', 24);
    expect(before.tokens).toBeGreaterThan(0);
    const files = M.saveCheckpoint();
    expect(files['model.safetensors'].length).toBeGreaterThan(1000);
    // scramble the session, then load the files back
    M.buildModel(JSON.stringify({ model: { dim: 32, n_layers: 1, n_heads: 2, vocab_size: 512, max_seq_len: 64 }, seq_len: 32 }));
    expect(greedy('Once upon a time', 24).text).not.toBe(before.text);
    JSON.parse(M.loadCheckpoint(files['model.safetensors'], files['config.json'], files['tokenizer.json']));
    expect(greedy('Once upon a time', 24).text).toBe(before.text);

    const att = JSON.parse(M.sessionAttentionJson('Once upon a time'));
    expect(att.pieces.join('')).toBe('Once upon a time');
  });

  it('bad inputs are JS Errors with messages', () => {
    expect(() => M.buildModel('{"model": {"dim": 64, "n_heads": 4}, "bogus": 1}')).toThrow(/bogus/);
    expect(() => M.loadCheckpoint(new Uint8Array([1, 2, 3]), '{}', '{}')).toThrow(Error);
    expect(() => new M.Generator('hi', '{"temperature": -1}')).toThrow(/temperature/);
    expect(() => new M.Generator('hi', '{"nope": 1}')).toThrow(/unknown key/);
    expect(() => M.setTrainText('', 0.1, 1)).toThrow(/empty/);
  });
});
