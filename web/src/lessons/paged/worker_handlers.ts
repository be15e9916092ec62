// Worker side of the Paged KV lab (wasm/engine_bindings.cpp): one engine, stepped one forward at
// a time; 'paged.play' steps with a pause between forwards so the page can animate each one.
import type { PagedEngine } from '@llm-core/llm_core.mjs';
import { register } from '../../core/worker_registry';
import type { MemEvent, PagedStep, PoolSnapshot, TokenEvent } from '../sft/align_types';

let engine: PagedEngine | null = null;

function eng(): PagedEngine {
  if (!engine) throw new Error('no engine yet: press Reset pool first');
  return engine;
}
const snapshot = (e: PagedEngine) => JSON.parse(e.snapshotJson()) as PoolSnapshot;

function stepOnce(e: PagedEngine): PagedStep {
  const r = JSON.parse(e.step()) as { tokens: TokenEvent[]; events: MemEvent[] };
  e.check();  // the engine's own invariants: a broken pool fails loudly, not silently wrong
  return { ...r, snapshot: snapshot(e), hasWork: e.hasWork() };
}

register('paged.create', (p, ctx) => {
  engine?.delete();
  engine = null;
  engine = new ctx.core.PagedEngine(JSON.stringify(p));
  return snapshot(engine);
});

register('paged.add', (p) => {
  const e = eng();
  for (const r of p.requests) e.addRequest(r.prompt, r.n, r.temperature, r.maxTokens, r.seed);
  return snapshot(e);
});

register('paged.step', () => stepOnce(eng()));

register('paged.play', async (p, ctx) => {
  const e = eng();
  let steps = 0;
  while (e.hasWork() && steps < p.maxSteps && !ctx.stopped) {
    ctx.progress(stepOnce(e));
    steps++;
    // a timer, not a busy wait: the stop message is handled while we sleep
    await new Promise((resolve) => setTimeout(resolve, p.delayMs));
  }
  return { steps, stopped: ctx.stopped };
});
