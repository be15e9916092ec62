// Worker side of the SFT lab and of the "tiny chat base" both fine-tuning labs share
// (wasm/align_bindings.cpp). Imported by the worker automatically (worker.ts globs these files).
import type { AlignBasePretrainer, SftTrainer } from '@llm-core/llm_core.mjs';
import { register } from '../../core/worker_registry';
import { sliceAnswers } from './answer_slices';
import type { BaseStatus, MaskView, PolicyInfo, SftAnswer, SftStep } from './align_types';

let sft: SftTrainer | null = null;

register('align.status', (_p, ctx) => JSON.parse(ctx.core.alignBaseStatus()) as BaseStatus);

register('align.base', async (p, ctx) => {
  let base: AlignBasePretrainer | null = null;
  try {
    base = new ctx.core.AlignBasePretrainer(JSON.stringify(p));
    ctx.sessionChanged();
    const steps = base.maxSteps();
    const b = base;
    let loss = NaN;
    const stopped = await ctx.slices(() => {
      loss = b.step();
      const step = b.stepsDone();
      ctx.progress({ step, steps, loss });
      return step < steps;
    });
    ctx.sessionChanged();
    return { steps: b.stepsDone(), stopped, loss, params: b.paramCount(), vocab: b.vocabSize() };
  } finally {
    base?.delete();
  }
});

register('sft.start', async (p, ctx) => {
  sft?.delete();
  sft = null;
  const tr = new ctx.core.SftTrainer(JSON.stringify({ ...p.options, max_steps: p.steps }));
  sft = tr;
  ctx.progress({
    type: 'info',
    info: JSON.parse(tr.infoJson()) as PolicyInfo,
    mask: JSON.parse(tr.maskJson(p.maskExample)) as MaskView,
    baseLoss: tr.baseEvalLoss(),
  });
  let loss = NaN;
  const stopped = await ctx.slices(() => {
    const s = JSON.parse(tr.step()) as SftStep;
    loss = s.loss;
    if (!Number.isFinite(loss)) throw new Error(`the SFT loss became ${loss} at step ${s.step}: lower the learning rate`);
    ctx.progress({ type: 'step', step: s });
    if (p.evalEvery > 0 && (s.step % p.evalEvery === 0 || s.step === p.steps)) ctx.progress({ type: 'eval', step: s.step, loss: tr.evalLoss() });
    return s.step < p.steps;
  });
  if (stopped) ctx.progress({ type: 'eval', step: tr.stepsDone(), loss: tr.evalLoss() });
  return { steps: tr.stepsDone(), stopped, loss };
});

function current(): SftTrainer {
  if (!sft) throw new Error('no SFT run yet: press Fine-tune first');
  return sft;
}

register('sft.mask', (p) => JSON.parse(current().maskJson(p.index)) as MaskView);
register('sft.answers', (p, ctx) => sliceAnswers<SftAnswer>(current(), p.k, p.maxNew, ctx));
register('sft.commit', (_p, ctx) => {
  current().commit();
  ctx.sessionChanged();
  return { ok: true };
});
