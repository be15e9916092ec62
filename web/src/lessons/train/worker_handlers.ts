// Worker side of the Pretrain lab: build, reconfigure, pack, train, and save / restore a checkpoint
// together with its trainer state (wasm/train_bindings.cpp, wasm/checkpoint_bindings.cpp).
import type { LlmCore } from '@llm-core/llm_core.mjs';
import type { CheckpointFiles, StepInfo } from '../../core/protocol';
import { register, sessionInfo } from '../../core/worker_registry';

register('pretrain.build', (p, ctx) => {
  ctx.core.buildModel(JSON.stringify(p.trainConfig));
  ctx.sessionChanged();
  return sessionInfo(ctx.core);
});

register('pretrain.configure', (p, ctx) => {
  ctx.core.configureTraining(JSON.stringify(p.trainConfig));
  ctx.sessionChanged();
  return sessionInfo(ctx.core);
});

// synchronous, so no training slice runs between the weights and the state: both are of one step
register('pretrain.save', (_p, ctx) => {
  const files = ctx.core.saveCheckpoint() as CheckpointFiles;
  const state = ctx.core.saveTrainerState();
  return { files, state, step: sessionInfo(ctx.core).model?.steps ?? 0 };
});

register('pretrain.restore', (p, ctx) => {
  try {
    ctx.core.loadCheckpoint(p.safetensors, p.config, p.tokenizer);
    ctx.core.configureTraining(JSON.stringify(p.trainConfig));
    if (p.state) ctx.core.loadTrainerState(p.state);
  } finally {
    ctx.sessionChanged();  // the checkpoint may have loaded even if a later call failed
  }
  return sessionInfo(ctx.core);
});

register('pretrain.data', (p, ctx) => {
  const info = sessionInfo(ctx.core);
  if (p.trainTokenizer > 0 || !info.tokenizer) {
    const tok = ctx.core.trainTokenizer('bpe', p.text, p.trainTokenizer > 0 ? p.trainTokenizer : 1024);
    try {
      ctx.core.setSessionTokenizer(tok);
    } finally {
      tok.delete();
    }
  }
  ctx.core.setTrainText(p.text, p.valFraction, p.seed);
  ctx.sessionChanged();
  return sessionInfo(ctx.core);
});

function sampleText(core: LlmCore, prompt: string, n: number): string {
  const g = new core.Generator(prompt, JSON.stringify({ temperature: 0.8, top_p: 0.95, max_tokens: n, seed: 7 }));
  try {
    let text = '';
    while (!g.done()) text += g.next();
    return text;
  } finally {
    g.delete();
  }
}

register('pretrain.run', async (p, ctx) => {
  let done = 0;
  let rate = 0;
  let step = 0;
  const stopped = await ctx.slices(() => {
    if (done >= p.steps) return false;
    const t0 = performance.now();
    const want = p.telemetryEvery > 0 && (step + 1) % p.telemetryEvery === 0;
    const info = JSON.parse(ctx.core.trainStep(want)) as StepInfo;
    const dt = (performance.now() - t0) / 1000;
    // exponential moving average: a steady readout that still follows real changes
    const r = info.tokens / Math.max(dt, 1e-6);
    rate = rate === 0 ? r : 0.9 * rate + 0.1 * r;
    info.tokensPerSec = rate;
    step = info.step;
    done++;
    if (!Number.isFinite(info.loss)) throw new Error(`the loss became ${info.loss} at step ${step}: try a lower learning rate`);
    ctx.progress({ type: 'step', info });
    if (p.evalEvery > 0 && step % p.evalEvery === 0) ctx.progress({ type: 'eval', step, loss: ctx.core.evalLoss(4) });
    if (p.sampleEvery > 0 && step % p.sampleEvery === 0)
      ctx.progress({ type: 'sample', step, prompt: p.prompt, text: sampleText(ctx.core, p.prompt, p.sampleTokens) });
    return true;
  });
  ctx.sessionChanged();
  return { step, stopped };
});

