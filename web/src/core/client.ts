// The page's handle on the worker that runs the wasm core. One client (one worker, one
// model) is shared by every lesson, so a model trained in one lesson can be used in the next.
//
//   const run = ctx.core.request('tok.train', {...}, (p) => draw(p));
//   const result = await run.result;   // rejects with an Error carrying the core's message
//   run.stop();                        // the handler ends within one time slice
//
// A job of several requests in a row (prepare data, then train) is a Job: one stop() asks the
// running request to stop and sends no further one (the awaiting code gets a JobStopped).
import type { FromWorker, Payload, Progress, RequestType, Result, SessionInfo, ToWorker } from './protocol';

export interface Running<K extends RequestType> {
  id: number;
  result: Promise<Result<K>>;
  stop(): void;
}

interface Pending {
  onProgress?: (data: unknown) => void;
  resolve: (data: unknown) => void;
  reject: (err: Error) => void;
}

export class CoreClient {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private readonly readyWaiters: Array<() => void> = [];
  private readonly sessionListeners = new Set<(info: SessionInfo) => void>();
  private readonly statusListeners = new Set<() => void>();
  private nextId = 1;
  private readyMsg: Extract<FromWorker, { kind: 'ready' }> | null = null;
  private failure: string | null = null;
  /** The latest session info the worker announced (null before the first change). */
  session: SessionInfo | null = null;

  constructor() {
    this.worker = new Worker(new URL('../worker.ts', import.meta.url), { type: 'module', name: 'llm-core' });
    this.worker.addEventListener('message', (e: MessageEvent<FromWorker>) => this.dispatch(e.data));
    // A worker that fails to load (bad URL, syntax error) reports here, not through messages.
    this.worker.addEventListener('error', (e: ErrorEvent) => {
      e.preventDefault();
      this.dispatch({ kind: 'error', id: null, message: `the worker failed: ${e.message || 'could not load worker script'}` });
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

  /** Resolves when the core has loaded (rejects if it cannot). */
  whenReady(): Promise<void> {
    if (this.readyMsg) return Promise.resolve();
    if (this.failure) return Promise.reject(new Error(this.failure));
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  /** Sends a request; progress messages go to onProgress, the answer to .result. */
  request<K extends RequestType>(type: K, payload: Payload<K>, onProgress?: (p: Progress<K>) => void): Running<K> {
    const id = this.nextId++;
    const result = new Promise<Result<K>>((resolve, reject) => {
      this.pending.set(id, { onProgress: onProgress as ((d: unknown) => void) | undefined, resolve: resolve as (d: unknown) => void, reject });
    });
    this.send({ kind: 'req', id, type, payload });
    return { id, result, stop: () => this.send({ kind: 'stop', id }) };
  }

  /** Stops every running request. */
  stopAll(): void {
    this.send({ kind: 'stop' });
  }

  /** Called whenever the worker's tokenizer or model changes; returns the unsubscribe function. */
  onSession(fn: (info: SessionInfo) => void): () => void {
    this.sessionListeners.add(fn);
    return () => this.sessionListeners.delete(fn);
  }

  /** Called when the core loads or fails to load. */
  onStatus(fn: () => void): () => void {
    this.statusListeners.add(fn);
    return () => this.statusListeners.delete(fn);
  }

  private send(msg: ToWorker): void {
    this.worker.postMessage(msg);
  }

  private dispatch(msg: FromWorker): void {
    switch (msg.kind) {
      case 'ready':
        this.readyMsg = msg;
        for (const w of this.readyWaiters.splice(0)) w();
        for (const fn of this.statusListeners) fn();
        break;
      case 'progress':
        this.pending.get(msg.id)?.onProgress?.(msg.data);
        break;
      case 'result': {
        const p = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        p?.resolve(msg.data);
        break;
      }
      case 'error': {
        if (msg.id === null) {
          this.failure = msg.message;
          console.error(`[llm core] ${msg.message}`);
          for (const fn of this.statusListeners) fn();
          break;
        }
        const p = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        p?.reject(new Error(msg.message));
        break;
      }
      case 'session':
        this.session = msg.info;
        for (const fn of this.sessionListeners) fn(msg.info);
        break;
    }
  }
}

/** Thrown by Job.run once the job was stopped: the remaining requests are not sent. */
export class JobStopped extends Error {
  constructor() {
    super('stopped');
    this.name = 'JobStopped';
  }
}

/** Several requests in a row that one stop() ends, between two requests or within the running one's slice. */
export class Job {
  private current: { stop(): void } | null = null;
  private halted = false;

  constructor(private readonly core: CoreClient) {}

  get stopped(): boolean {
    return this.halted;
  }

  /** Sends the next request of the job and waits for its result; throws JobStopped after stop(). */
  async run<K extends RequestType>(type: K, payload: Payload<K>, onProgress?: (p: Progress<K>) => void): Promise<Result<K>> {
    if (this.halted) throw new JobStopped();
    const r = this.core.request(type, payload, onProgress);
    this.current = r;
    try {
      return await r.result;
    } finally {
      if (this.current === r) this.current = null;
    }
  }

  stop(): void {
    this.halted = true;
    this.current?.stop();
  }
}
