// The benchmark page: starts bench/worker.ts (which loads the wasm core exactly as the app's
// worker does, through src/core/pick_module.ts), collects its results and exposes them as
// window.__bench for tests/web/bench.mjs. performance.now() here counts from page navigation,
// so "page load to first trained step" includes fetching and compiling the wasm.
type Msg = { type: 'progress'; text: string } | { type: 'first-step'; detail: unknown } | { type: 'done'; result: Record<string, unknown> } | { type: 'error'; message: string };

declare global {
  interface Window {
    __bench?: { status: 'running' | 'done' | 'error'; result?: Record<string, unknown>; error?: string };
  }
}

const status = document.getElementById('status')!;
const out = document.getElementById('out')!;
window.__bench = { status: 'running' };
const params = new URLSearchParams(location.search);
let firstStepMs = 0;

const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
worker.onmessage = (e: MessageEvent<Msg>) => {
  const m = e.data;
  if (m.type === 'progress') status.textContent = m.text;
  else if (m.type === 'first-step') firstStepMs = performance.now();
  else if (m.type === 'done') {
    const result = { ...m.result, page_load_to_first_step_ms: Math.round(firstStepMs) };
    window.__bench = { status: 'done', result };
    status.textContent = 'done';
    out.textContent = JSON.stringify(result, null, 2);
  } else {
    window.__bench = { status: 'error', error: m.message };
    status.textContent = `error: ${m.message}`;
  }
};
worker.onerror = (e) => {
  window.__bench = { status: 'error', error: e.message };
  status.textContent = `worker error: ${e.message}`;
};
worker.postMessage({
  module: params.get('module') === 'single' ? 'single' : 'auto',
  steps: Number(params.get('steps') ?? 6),
  quick: params.has('quick'),
});
