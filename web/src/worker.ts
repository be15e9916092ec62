// Module worker: loads the wasm core and runs the training loop off the main thread.
// The loop works in time slices (~50 ms) and yields between them so a 'stop' message
// is handled within one slice; every step is posted as {step, loss, tokensPerSec}.
import createLlmCore from '@llm-core/llm_core.mjs';
import type { CharTrainer, LlmCore } from '@llm-core/llm_core.mjs';
import wasmUrl from '@llm-core/llm_core.wasm?url';
import type { FromWorker, SampleRequest, ToWorker, TrainRequest } from './core/protocol';

const SLICE_MS = 50;

// `self` is typed as Window under the DOM lib; a dedicated worker scope has the same postMessage shape as Worker.
const scope = self as unknown as Worker;
const post = (msg: FromWorker) => scope.postMessage(msg);

let core: LlmCore | null = null;
let trainer: CharTrainer | null = null;
let running = false;
let stopRequested = false;
let lastStep = 0;

// Emscripten throws a C++ exception into JS as a bare number (a pointer) unless the
// binding converts it to an Error; say so instead of printing the number alone.
function describe(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (typeof e === 'number') return `the wasm core threw a C++ exception (pointer ${e})`;
  return String(e);
}

// Yielding through a MessageChannel avoids setTimeout's 4 ms clamp on nested timers.
const channel = new MessageChannel();
const wakeups: Array<() => void> = [];
channel.port1.onmessage = () => wakeups.shift()?.();
function yieldToEvents(): Promise<void> {
  return new Promise((resolve) => {
    wakeups.push(resolve);
    channel.port2.postMessage(0);
  });
}

function sample(req: { prompt: string; maxNewTokens: number; temperature: number; seed: number }): string {
  if (!trainer) throw new Error('no model yet: train one first');
  return trainer.sample(req.prompt, req.maxNewTokens, req.temperature, req.seed);
}

async function train(req: TrainRequest): Promise<void> {
  if (!core) throw new Error('the wasm core is not loaded');
  running = true;
  stopRequested = false;
  lastStep = 0;
  try {
    trainer?.delete();
    trainer = null;
    trainer = new core.CharTrainer(req.text, JSON.stringify(req.model), req.seed);
    let config: Record<string, unknown> = {};
    try {
      config = JSON.parse(trainer.configJson()) as Record<string, unknown>;
    } catch {
      /* configJson is informative only */
    }
    post({ type: 'built', paramCount: trainer.paramCount(), vocabSize: trainer.vocabSize(), config });
    const tokens = trainer.tokensPerStep();
    let tokensPerSec = 0;

    while (lastStep < req.steps && !stopRequested) {
      const sliceStart = performance.now();
      do {
        const t0 = performance.now();
        const loss = trainer.step();
        const dt = (performance.now() - t0) / 1000;
        lastStep += 1;
        if (!Number.isFinite(loss)) {
          throw new Error(`the loss became ${loss} at step ${lastStep}: try a lower learning rate`);
        }
        // Exponential moving average: steady readout, still follows real changes.
        const rate = tokens / Math.max(dt, 1e-6);
        tokensPerSec = tokensPerSec === 0 ? rate : 0.9 * tokensPerSec + 0.1 * rate;
        post({ type: 'step', step: lastStep, loss, tokensPerSec, lr: trainer.lastLr(), gradNorm: trainer.lastGradNorm() });
        if (req.sampleEvery > 0 && lastStep % req.sampleEvery === 0 && lastStep < req.steps) {
          post({ type: 'sample', step: lastStep, prompt: req.prompt, text: sample({ ...req, maxNewTokens: req.sampleChars }) });
        }
      } while (lastStep < req.steps && !stopRequested && performance.now() - sliceStart < SLICE_MS);
      await yieldToEvents();
    }
    post({ type: 'sample', step: lastStep, prompt: req.prompt, text: sample({ ...req, maxNewTokens: req.sampleChars }) });
    post({ type: 'done', step: lastStep, stopped: stopRequested });
  } finally {
    running = false;
  }
}

function onSample(req: SampleRequest): void {
  post({ type: 'sample', step: lastStep, prompt: req.prompt, text: sample(req) });
}

async function handle(msg: ToWorker): Promise<void> {
  switch (msg.type) {
    case 'start':
      if (running) throw new Error('training is already running');
      await train(msg);
      break;
    case 'stop':
      stopRequested = true;
      break;
    case 'sample':
      if (running) throw new Error('wait for training to finish before sampling');
      onSample(msg);
      break;
  }
}

self.addEventListener('message', (e: MessageEvent<ToWorker>) => {
  handle(e.data).catch((err: unknown) => post({ type: 'error', message: describe(err) }));
});

createLlmCore({ locateFile: (p) => (p.endsWith('.wasm') ? wasmUrl : p) })
  .then((m) => {
    core = m;
    post({ type: 'ready', version: m.version(), crossOriginIsolated: self.crossOriginIsolated === true });
  })
  .catch((err: unknown) => post({ type: 'error', message: `could not load the wasm core: ${describe(err)}` }));
