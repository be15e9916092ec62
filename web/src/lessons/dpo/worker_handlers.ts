// Worker side of the DPO lab (wasm/align_bindings.cpp): one DpoTrainer at a time, stepped in slices.
import type { DpoTrainer } from '@llm-core/llm_core.mjs';
import { register } from '../../core/worker_registry';
import { sliceAnswers } from '../sft/answer_slices';
import type { DpoAnswer, DpoEval, DpoStep, PolicyInfo } from '../sft/align_types';

let dpo: DpoTrainer | null = null;

register('dpo.start', async (p, ctx) => {
  dpo?.delete();
  dpo = null;
  const tr = new ctx.core.DpoTrainer(JSON.stringify({ ...p.options, max_steps: p.steps }));
  dpo = tr;
  ctx.progress({ type: 'info', info: JSON.parse(tr.infoJson()) as PolicyInfo, eval: JSON.parse(tr.evaluate()) as DpoEval });
  const stopped = await ctx.slices(() => {
    const s = JSON.parse(tr.step()) as DpoStep;
    if (!Number.isFinite(s.loss)) throw new Error(`the DPO loss became ${s.loss} at step ${s.step}: lower the learning rate`);
    ctx.progress({ type: 'step', step: s });
    if (p.evalEvery > 0 && s.step % p.evalEvery === 0 && s.step < p.steps) ctx.progress({ type: 'eval', eval: JSON.parse(tr.evaluate()) as DpoEval });
    return s.step < p.steps;
  });
  const ev = JSON.parse(tr.evaluate()) as DpoEval;
  ctx.progress({ type: 'eval', eval: ev });
  return { steps: tr.stepsDone(), stopped, eval: ev };
});

function current(): DpoTrainer {
  if (!dpo) throw new Error('no DPO run yet: press Train with DPO first');
  return dpo;
}

register('dpo.answers', (p, ctx) => sliceAnswers<DpoAnswer>(current(), p.k, p.maxNew, ctx));
register('dpo.commit', (_p, ctx) => {
  current().commit();
  ctx.sessionChanged();
  return { ok: true };
});
