// Worker side of Chat: streamed generation from the session model, checkpoint save/load.
import { register, sessionInfo } from '../../core/worker_registry';

register('gen.run', async (p, ctx) => {
  const prompt = p.chat ? ctx.core.chatPrompt(JSON.stringify(p.chat)) : p.prompt;
  const g = new ctx.core.Generator(prompt, JSON.stringify(p.sampling));
  const t0 = performance.now();
  let text = '';
  try {
    await ctx.slices(() => {
      if (g.done()) return false;
      const piece = g.next();
      if (piece) {
        text += piece;
        ctx.progress({ text: piece });
      }
      return true;
    });
    const seconds = (performance.now() - t0) / 1000;
    const tokens = g.tokens();
    return {
      text,
      tokens,
      promptTokens: g.promptTokens(),
      finishReason: g.done() ? g.finishReason() : 'abort',
      tokensPerSec: tokens / Math.max(seconds, 1e-6),
    };
  } finally {
    g.delete();
  }
});

register('ckpt.save', (_p, ctx) => ctx.core.saveCheckpoint());

register('ckpt.load', (p, ctx) => {
  ctx.core.loadCheckpoint(p.safetensors, p.config, p.tokenizer);
  ctx.sessionChanged();
  return sessionInfo(ctx.core);
});
