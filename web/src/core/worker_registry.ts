// The worker side of the protocol (protocol.ts): a table of request handlers. Each lesson that
// needs the core registers its handlers from its own web/src/lessons/<x>/worker_handlers.ts, which
// the worker imports automatically (import.meta.glob in worker.ts): adding a lesson edits no shared file.
//
//   import { register } from '../../core/worker_registry';
//   register('sft.step', async (payload, ctx) => { ... ctx.progress({...}); ... return result; });
import type { LlmCore } from '@llm-core/llm_core.mjs';
import type { Payload, Progress, RequestType, Result, SessionInfo } from './protocol';

export const SLICE_MS = 50;

export interface HandlerContext {
  /** The loaded wasm module. */
  core: LlmCore;
  /** Streams one progress message for this request. */
  progress(data: unknown): void;
  /** True once a stop for this request (or a global stop) arrived. */
  readonly stopped: boolean;
  /** Lets queued messages (a stop, other requests) run; resolves soon after. */
  yield(): Promise<void>;
  /**
   * Runs `step` repeatedly in time slices of SLICE_MS, yielding between slices, until it returns
   * false or a stop arrives. Returns true when it ended because of a stop.
   */
  slices(step: () => boolean): Promise<boolean>;
  /** Tells every view that the tokenizer or the weights changed. */
  sessionChanged(): void;
}

export type Handler<K extends RequestType> = (
  payload: Payload<K>,
  ctx: HandlerContext & { progress(data: Progress<K>): void },
) => Result<K> | Promise<Result<K>>;

const handlers = new Map<string, Handler<RequestType>>();

export function register<K extends RequestType>(type: K, fn: Handler<K>): void {
  if (handlers.has(type)) throw new Error(`worker handler '${type}' registered twice`);
  handlers.set(type, fn as unknown as Handler<RequestType>);
}

export function handlerFor(type: string): Handler<RequestType> | undefined {
  return handlers.get(type);
}

/** What the session looks like now (the core's sessionInfoJson, parsed). */
export function sessionInfo(core: LlmCore): SessionInfo {
  return JSON.parse(core.sessionInfoJson()) as SessionInfo;
}

register('session.info', (_p, ctx) => sessionInfo(ctx.core));
