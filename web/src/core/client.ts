// The page's handle on the worker that runs the wasm core. One client (one worker, one
// model) is shared by every lesson, so a model trained in one lesson can be used in the next.
import type { FromWorker, ToWorker } from './protocol';

export type Listener = (msg: FromWorker) => void;

export class CoreClient {
  private readonly worker: Worker;
  private readonly listeners = new Set<Listener>();
  private readyMsg: Extract<FromWorker, { type: 'ready' }> | null = null;
  private failure: string | null = null;

  constructor() {
    this.worker = new Worker(new URL('../worker.ts', import.meta.url), { type: 'module', name: 'llm-core' });
    this.worker.addEventListener('message', (e: MessageEvent<FromWorker>) => this.dispatch(e.data));
    // A worker that fails to load (bad URL, syntax error) reports here, not through messages.
    this.worker.addEventListener('error', (e: ErrorEvent) => {
      e.preventDefault();
      this.dispatch({ type: 'error', message: `the worker failed: ${e.message || 'could not load worker script'}` });
    });
  }

  /** The 'ready' message if the core has loaded, else null. */
  get ready() {
    return this.readyMsg;
  }

  /** The load error, if the core could not be loaded. */
  get loadError() {
    return this.failure;
  }

  send(msg: ToWorker): void {
    this.worker.postMessage(msg);
  }

  /** Calls fn for every message from the worker; returns the unsubscribe function. */
  subscribe(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private dispatch(msg: FromWorker): void {
    if (msg.type === 'ready') this.readyMsg = msg;
    if (msg.type === 'error' && !this.readyMsg) this.failure = msg.message;
    if (msg.type === 'error') console.error(`[llm core] ${msg.message}`);
    for (const fn of this.listeners) fn(msg);
  }
}
