// The SFT and DPO bindings of the SFT/DPO labs (wasm/align_bindings.cpp) on a tiny chat base
// pretrained in place: SFT lowers the (assistant-only) loss and its mask marks exactly the
// assistant replies with their <|im_end|>; DPO starts at loss ln 2 / accuracy 1/2 (policy =
// reference) and its held-out preference accuracy rises; options are parsed strictly.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadCore } from './core.mjs';

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

// The loss mask the ChatML template implies, recomputed from the token strings alone: inside
// an assistant turn every content token and the closing <|im_end|> count; the "<|im_start|>",
// the role header "assistant\n" and the "\n" after <|im_end|> never do.
function expectedMask(tokens) {
  let state = 'outside';
  let role = '';
  return tokens.map((t) => {
    if (t === '<|im_start|>') {
      state = 'header';
      role = '';
      return 0;
    }
    if (state === 'header') {
      role += t;
      if (role.endsWith('\n')) {
        state = 'content';
        role = role.trim();
      }
      return 0;
    }
    if (state === 'content') {
      if (t === '<|im_end|>') state = 'outside';
      return role === 'assistant' ? 1 : 0;
    }
    return 0;
  });
}

describe('align bindings (wasm)', () => {
  let M;
  const baseLosses = [];

  beforeAll(async () => {
    M = await loadCore();
    const base = new M.AlignBasePretrainer(
      JSON.stringify({ steps: 80, n_stories: 120, n_chats: 300, vocab_size: 400, dim: 48, n_layers: 2, n_heads: 4, seq_len: 96, batch_size: 8, lr: 3e-3 }),
    );
    for (let i = 0; i < 80; i++) baseLosses.push(base.step());
    base.delete();
  });

  test('the tiny chat base learns and leaves a chat-ready tokenizer + model', () => {
    expect(baseLosses.every(Number.isFinite)).toBe(true);
    expect(mean(baseLosses.slice(-5))).toBeLessThan(mean(baseLosses.slice(0, 5)) - 0.5);
    const st = JSON.parse(M.alignBaseStatus());
    expect(st.chat_ready).toBe(true);
    expect(st.config.n_layers).toBe(2);
  });

  describe('SFT', () => {
    let sft;
    const losses = [];
    let before;
    beforeAll(() => {
      sft = new M.SftTrainer(JSON.stringify({ lora: false, lr: 3e-3, min_lr: 3e-4, batch_size: 8, seq_len: 96, n_train: 300, n_eval: 16, max_steps: 40, warmup_steps: 5 }));
      before = sft.baseEvalLoss();
      for (let i = 0; i < 40; i++) losses.push(JSON.parse(sft.step()).loss);
    });
    afterAll(() => sft?.delete());

    test('the mask marks exactly the assistant tokens (and their <|im_end|>)', () => {
      for (const i of [0, 1, 2, 3]) {
        const m = JSON.parse(sft.maskJson(i));
        expect(m.tokens.length).toBe(m.mask.length);
        expect(m.mask).toEqual(expectedMask(m.tokens));
        expect(m.mask.some((b) => b === 1)).toBe(true);
        expect(m.mask.some((b) => b === 0)).toBe(true);
        // the scored tokens end with <|im_end|>: the model learns to stop
        const last = m.mask.lastIndexOf(1);
        expect(m.tokens[last]).toBe('<|im_end|>');
      }
      expect(() => sft.maskJson(10_000)).toThrow(/held-out example/);
    });

    test('SFT steps reduce the training and the held-out loss', () => {
      expect(losses.every(Number.isFinite)).toBe(true);
      expect(mean(losses.slice(-5))).toBeLessThan(mean(losses.slice(0, 5)));
      expect(sft.evalLoss()).toBeLessThan(before);
    });

    test('answers before vs after are greedy replies to held-out prompts', () => {
      const a = JSON.parse(sft.answersJson(2, 8));
      expect(a.length).toBe(2);
      for (const x of a) {
        expect(x.prompt).toMatch(/^(system|user): /);
        expect(typeof x.before).toBe('string');
        expect(typeof x.after).toBe('string');
      }
      // greedy: the same call gives the same replies
      expect(JSON.parse(sft.answersJson(2, 8))).toEqual(a);
    });

    test('LoRA trains only the adapters, and the base is untouched until commit', () => {
      const lora = new M.SftTrainer(JSON.stringify({ lora: true, lora_rank: 4, lora_alpha: 8, lora_targets: ['q_proj', 'v_proj'], lr: 1e-2, batch_size: 4, seq_len: 96, n_train: 64, n_eval: 8, max_steps: 10 }));
      const info = JSON.parse(lora.infoJson());
      expect(info.lora).toBe(true);
      // rank 4 on q and v of 2 layers (48 wide): 2 layers x 2 targets x 4 x (48 + 48)
      expect(info.trainable_params).toBe(2 * 2 * 4 * (48 + 48));
      expect(info.lora_layers.length).toBe(4);
      const l0 = lora.baseEvalLoss();
      for (let i = 0; i < 10; i++) lora.step();
      expect(lora.baseEvalLoss()).toBe(l0);
      lora.delete();
    });

    test('unknown or bad options are errors that name the key', () => {
      expect(() => new M.SftTrainer(JSON.stringify({ lorra: true }))).toThrow(/lorra/);
      expect(() => new M.SftTrainer(JSON.stringify({ lr: -1 }))).toThrow(/lr/);
    });
  });

  describe('DPO', () => {
    let dpo;
    const steps = [];
    let e0;
    let e1;
    beforeAll(() => {
      dpo = new M.DpoTrainer(JSON.stringify({ lora: false, lr: 1e-3, min_lr: 1e-4, beta: 0.1, batch_size: 8, seq_len: 96, n_train: 300, n_eval: 48, max_steps: 40, warmup_steps: 2 }));
      e0 = JSON.parse(dpo.evaluate());
      for (let i = 0; i < 40; i++) steps.push(JSON.parse(dpo.step()));
      e1 = JSON.parse(dpo.evaluate());
    });
    afterAll(() => dpo?.delete());

    test('at init the policy equals the reference: loss ln 2, margins 0, accuracy 1/2', () => {
      expect(e0.n).toBeGreaterThan(10);
      expect(e0.loss).toBeCloseTo(Math.LN2, 6);
      expect(e0.margin).toBeCloseTo(0, 6);
      expect(e0.accuracy).toBeCloseTo(0.5, 6);
      expect(steps[0].loss).toBeCloseTo(Math.LN2, 4);
      expect(steps[0].margin).toBeCloseTo(0, 4);
    });

    test('training raises the margin and the held-out preference accuracy', () => {
      expect(steps.every((s) => Number.isFinite(s.loss))).toBe(true);
      expect(mean(steps.slice(-10).map((s) => s.loss))).toBeLessThan(Math.LN2);
      expect(mean(steps.slice(-10).map((s) => s.margin))).toBeGreaterThan(0);
      expect(e1.margin).toBeGreaterThan(0);
      expect(e1.accuracy).toBeGreaterThan(0.6);
    });

    test('answers compare the reference and the policy on held-out prompts', () => {
      const a = JSON.parse(dpo.answersJson(2, 8));
      expect(a.length).toBe(2);
      for (const x of a) for (const k of ['prompt', 'chosen', 'rejected', 'reason', 'before', 'after']) expect(typeof x[k]).toBe('string');
    });
  });
});
