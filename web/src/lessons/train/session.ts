// The state of the training lesson, kept outside the view: training goes on in the
// worker while the learner visits another lesson, and the view redraws from this state
// when it is mounted again. Also exposed as window.__llmState for the browser tests.
import type { CoreClient } from '../../core/client';
import type { FromWorker, TrainRequest } from '../../core/protocol';

export type Status = 'loading' | 'ready' | 'training' | 'stopping' | 'sampling' | 'done' | 'error';

export interface TrainState {
  status: Status;
  coreVersion: string;
  crossOriginIsolated: boolean;
  step: number;
  steps: number;
  /** Training loss of every step so far, losses[i] is step i+1. */
  losses: number[];
  /** Bias-corrected exponential moving average of the loss (what the eye reads). */
  smoothed: number[];
  tokensPerSec: number;
  /** Wall-clock seconds of the current or last run. */
  seconds: number;
  /** Learning rate of the last step (warmup, then cosine decay). */
  lr: number;
  paramCount: number;
  vocabSize: number;
  /** Latest sample (the continuation after its prompt), and every sample of this run. */
  sample: string;
  samples: Array<{ step: number; prompt: string; text: string }>;
  stopped: boolean;
  error: string | null;
}

declare global {
  interface Window {
    __llmState?: TrainState;
  }
}

const SMOOTHING = 0.9;

export type Change =
  | { kind: 'status' }
  | { kind: 'built' }
  | { kind: 'step'; step: number; loss: number; smoothed: number }
  | { kind: 'sample' }
  | { kind: 'reset' };

export class TrainSession {
  readonly state: TrainState = {
    status: 'loading',
    coreVersion: '',
    crossOriginIsolated: false,
    step: 0,
    steps: 0,
    losses: [],
    smoothed: [],
    tokensPerSec: 0,
    seconds: 0,
    lr: 0,
    paramCount: 0,
    vocabSize: 0,
    sample: '',
    samples: [],
    stopped: false,
    error: null,
  };
  private readonly views = new Set<(c: Change) => void>();
  private ema = 0;
  private startedAt = 0;

  constructor(private readonly core: CoreClient) {
    window.__llmState = this.state;
    const ready = core.ready;
    if (ready) this.onMessage(ready);
    else if (core.loadError) this.onMessage({ type: 'error', message: core.loadError });
    core.subscribe((m) => this.onMessage(m));
  }

  /** The core is loaded and idle. */
  get canStart(): boolean {
    const s = this.state;
    return s.coreVersion !== '' && (s.status === 'ready' || s.status === 'done' || s.status === 'error');
  }

  /** Registers a view; returns its unsubscribe function. */
  watch(fn: (c: Change) => void): () => void {
    this.views.add(fn);
    return () => this.views.delete(fn);
  }

  start(req: Omit<TrainRequest, 'type'>): void {
    const s = this.state;
    if (!this.canStart) return;
    Object.assign(s, {
      status: 'training',
      step: 0,
      steps: req.steps,
      losses: [],
      smoothed: [],
      tokensPerSec: 0,
      seconds: 0,
      lr: 0,
      sample: '',
      samples: [],
      stopped: false,
      error: null,
    } satisfies Partial<TrainState>);
    this.ema = 0;
    this.startedAt = performance.now();
    this.emit({ kind: 'reset' });
    this.core.send({ type: 'start', ...req });
  }

  stop(): void {
    if (this.state.status !== 'training') return;
    this.state.status = 'stopping';
    this.emit({ kind: 'status' });
    this.core.send({ type: 'stop' });
  }

  resample(prompt: string, maxNewTokens: number, temperature: number): void {
    if (!this.canStart || this.state.paramCount === 0) return;
    const seed = (Math.random() * 2 ** 31) | 0;
    this.state.status = 'sampling';
    this.emit({ kind: 'status' });
    this.core.send({ type: 'sample', prompt, maxNewTokens, temperature, seed });
  }

  private onMessage(m: FromWorker): void {
    const s = this.state;
    switch (m.type) {
      case 'ready':
        s.coreVersion = m.version;
        s.crossOriginIsolated = m.crossOriginIsolated;
        if (s.status === 'loading') s.status = 'ready';
        this.emit({ kind: 'status' });
        break;
      case 'built':
        s.paramCount = m.paramCount;
        s.vocabSize = m.vocabSize;
        this.emit({ kind: 'built' });
        break;
      case 'step': {
        s.step = m.step;
        s.tokensPerSec = m.tokensPerSec;
        s.seconds = (performance.now() - this.startedAt) / 1000;
        s.lr = m.lr;
        s.losses.push(m.loss);
        this.ema = SMOOTHING * this.ema + (1 - SMOOTHING) * m.loss;
        const smoothed = this.ema / (1 - SMOOTHING ** s.losses.length);
        s.smoothed.push(smoothed);
        this.emit({ kind: 'step', step: m.step, loss: m.loss, smoothed });
        break;
      }
      case 'sample':
        s.sample = m.text;
        s.samples.push({ step: m.step, prompt: m.prompt, text: m.text });
        if (s.status === 'sampling') s.status = 'done';
        this.emit({ kind: 'sample' });
        break;
      case 'done':
        s.step = m.step;
        s.stopped = m.stopped;
        s.seconds = (performance.now() - this.startedAt) / 1000;
        s.status = 'done';
        this.emit({ kind: 'status' });
        break;
      case 'error':
        // A failed run leaves the core usable (start() works again); a failed load does not.
        s.error = m.message;
        s.status = 'error';
        this.emit({ kind: 'status' });
        break;
    }
  }

  private emit(c: Change): void {
    for (const fn of this.views) fn(c);
  }
}
