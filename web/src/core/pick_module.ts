// Which build of the wasm core to load (docs: issue 7, "Speed in the browser").
//
// Two builds come out of CMake into web/generated/:
//   llm_core.{mjs,wasm}                        single thread; works on any static host
//   llm_core_mt.{mjs,wasm,worker.js}           pthreads over SharedArrayBuffer (wasm/threads.cpp)
// SharedArrayBuffer exists only when the page is cross-origin isolated (COOP: same-origin +
// COEP: require-corp, which vite.config.ts sends for dev and preview), so the threaded build is
// picked only then; everywhere else the single-thread build runs the same API.
//
// The threaded glue starts its pthreads as Web Workers that load llm_core_mt.worker.js, which
// in turn import()s the glue itself by URL. So that build is not bundled: its three files are
// emitted as assets (`?url`) and the glue is imported from its asset URL at run time.
//
// Usage (inside the module worker):
//   const picked = await pickModule();
//   const core = await picked.factory(picked.options);
//   core.setThreads(Math.min(navigator.hardwareConcurrency, core.maxThreads()));   // 1 in the single-thread build
import type { LlmCore, LlmCoreOptions } from '@llm-core/llm_core.mjs';
import stWasmUrl from '@llm-core/llm_core.wasm?url';
import mtJsUrl from '@llm-core/llm_core_mt.mjs?url&no-inline';
import mtWasmUrl from '@llm-core/llm_core_mt.wasm?url&no-inline';
import mtWorkerUrl from '@llm-core/llm_core_mt.worker.js?url&no-inline';

/** The Embind calls of wasm/threads.cpp and wasm/bench_bindings.cpp (both builds have them). */
export interface SpeedApi {
  /** Threads setThreads may ask for: 1 in the single-thread build. */
  maxThreads(): number;
  /** Use n threads (the calling worker + n-1 pool workers); returns the count in use. */
  setThreads(n: number): number;
  threadCount(): number;
  /** GFLOP/s (median of reps) of C(M,N) = A(M,K) B(K,N); impl 'simd128' (core's GEMM) or 'eigen'. */
  benchGemm(M: number, N: number, K: number, impl: 'simd128' | 'eigen', reps: number): number;
  /** JSON: {threads, tokens_per_s, first_step_ms, build_ms, ...} of fwd+bwd+AdamW steps. */
  benchTrain(configJson: string, threads: number, steps: number, batch: number, seq: number): string;
  /** JSON: {tokens_per_s, ...} single-stream greedy fp32 decode. */
  benchDecode(configJson: string, steps: number, reps: number): string;
}

export type CoreFactory = (options?: LlmCoreOptions & { mainScriptUrlOrBlob?: string }) => Promise<LlmCore & SpeedApi>;

export interface PickedModule {
  /** createLlmCore of the chosen build. */
  factory: CoreFactory;
  /** Pass these to factory(): they point the glue at the right .wasm (and pthread worker). */
  options: LlmCoreOptions & { mainScriptUrlOrBlob?: string };
  /** URL of the chosen .wasm. */
  wasmUrl: string;
  /** true: the pthreads build (setThreads can go above 1). */
  threaded: boolean;
  /** Why this build was chosen, for the UI or a log line. */
  reason: string;
}

/** Can this context run the pthreads build? (module worker or page; both see these globals) */
export function canUseThreads(): boolean {
  const g = globalThis as { crossOriginIsolated?: boolean };
  return g.crossOriginIsolated === true && typeof SharedArrayBuffer === 'function' && typeof Atomics === 'object';
}

/**
 * The threaded build when the context is cross-origin isolated, else the single-thread one.
 * `prefer: 'single'` forces the single-thread build (e.g. a settings switch, or a benchmark).
 */
export async function pickModule(prefer: 'auto' | 'single' = 'auto'): Promise<PickedModule> {
  if (prefer === 'auto' && canUseThreads()) {
    // a full URL: the pthread workers import() it from their own location
    const jsUrl = new URL(mtJsUrl, self.location.href).href;
    const mod = (await import(/* @vite-ignore */ jsUrl)) as { default: CoreFactory };
    return {
      factory: mod.default,
      options: {
        mainScriptUrlOrBlob: jsUrl,
        locateFile: (p: string) =>
          p.endsWith('.wasm') ? mtWasmUrl : p.endsWith('.worker.js') ? new URL(mtWorkerUrl, self.location.href).href : p,
      },
      wasmUrl: mtWasmUrl,
      threaded: true,
      reason: 'cross-origin isolated: pthreads build',
    };
  }
  const mod = await import('@llm-core/llm_core.mjs');
  return {
    factory: mod.default as unknown as CoreFactory,
    options: { locateFile: (p: string) => (p.endsWith('.wasm') ? stWasmUrl : p) },
    wasmUrl: stWasmUrl,
    threaded: false,
    reason:
      prefer === 'single'
        ? 'single-thread build requested'
        : 'not cross-origin isolated (no SharedArrayBuffer): single-thread build',
  };
}
