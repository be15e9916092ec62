// Module worker: loads the wasm core and runs every request of the page (protocol.ts) off the main
// thread. Handlers come from web/src/lessons/*/worker_handlers.ts (registered at import, see
// core/worker_registry.ts). Several requests may be in flight: each runs in time slices and
// yields between them, so a stop (or a quick request from another lesson) is handled within a slice.
import type { LlmCore } from '@llm-core/llm_core.mjs';
import { pickModule } from './core/pick_module';
import type { FromWorker, ToWorker } from './core/protocol';
import { SLICE_MS, handlerFor, sessionInfo, type HandlerContext } from './core/worker_registry';

// every lesson's worker side, registered as a side effect of the import
import.meta.glob('./lessons/*/worker_handlers.ts', { eager: true });

// `self` is typed as Window under the DOM lib; a dedicated worker scope has the same postMessage shape as Worker.
const scope = self as unknown as Worker;
const post = (msg: FromWorker) => scope.postMessage(msg);

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

let core: LlmCore | null = null;
const pending: ToWorker[] = [];  // requests that arrived before the core loaded
const stopFlags = new Map<number, boolean>();  // running request id -> stop requested

async function runRequest(id: number, type: string, payload: unknown): Promise<void> {
  const handler = handlerFor(type);
  if (!handler) throw new Error(`unknown request type '${type}'`);
  if (!core) throw new Error('the wasm core is not loaded');
  const m = core;
  stopFlags.set(id, false);
  const ctx: HandlerContext = {
    core: m,
    progress: (data) => post({ kind: 'progress', id, data }),
    get stopped() {
      return stopFlags.get(id) === true;
    },
    yield: yieldToEvents,
    async slices(step) {
      for (;;) {
        const t0 = performance.now();
        do {
          if (!step()) return false;
        } while (performance.now() - t0 < SLICE_MS);
        await yieldToEvents();
        if (stopFlags.get(id)) return true;
      }
    },
    sessionChanged: () => post({ kind: 'session', info: sessionInfo(m) }),
  };
  try {
    const data = await handler(payload as never, ctx as never);
    post({ kind: 'result', id, data });
  } finally {
    stopFlags.delete(id);
  }
}

function onMessage(msg: ToWorker): void {
  if (msg.kind === 'stop') {
    if (msg.id === undefined) for (const k of stopFlags.keys()) stopFlags.set(k, true);
    else if (stopFlags.has(msg.id)) stopFlags.set(msg.id, true);
    return;
  }
  if (!core) {
    pending.push(msg);
    return;
  }
  runRequest(msg.id, msg.type, msg.payload).catch((err: unknown) => post({ kind: 'error', id: msg.id, message: describe(err) }));
}

self.addEventListener('message', (e: MessageEvent<ToWorker>) => onMessage(e.data));

// the pthreads build when the page is cross-origin isolated, else the single-thread build; both
// expose the same API. Threads: one per logical core the browser reports, at most maxThreads()
// (this worker + the pthread pool the module was linked with: LLM_WASM_POOL_SIZE + 1 in
// CMakeLists.txt, a pthread can only start on a pre-spawned pool worker)
pickModule()
  .then(async (picked) => {
    const m = await picked.factory(picked.options);
    const cores = Math.floor(navigator.hardwareConcurrency || 1);
    const threads = picked.threaded ? m.setThreads(Math.max(1, Math.min(cores, m.maxThreads()))) : 1;
    core = m;
    post({ kind: 'ready', version: m.version(), crossOriginIsolated: self.crossOriginIsolated === true, threads });
    for (const msg of pending.splice(0)) onMessage(msg);
  })
  .catch((err: unknown) => post({ kind: 'error', id: null, message: `could not load the wasm core: ${describe(err)}` }));
