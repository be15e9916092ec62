// Runs the benchmarks off the main thread (the pthreads build blocks its calling thread while
// pool workers run, which only a worker may do). Loads the core through pick_module.ts, so it
// measures the same build the app would get on this page.
import { pickModule } from '../src/core/pick_module';
import tinyConfig from '../../configs/model/tiny.json';

// `llm bench train --config tiny` runs batch 8 x seq 256 (native/bench.cpp defaults)
const BATCH = 8;
const SEQ = 256;
// GEMM shapes: square, then the tiny model's own products at batch 8 x 256 tokens
// (FFN up: 2048 x 384 x 128, LM head: 2048 x 4096 x 128, weight gradient: 128 x 384 x 2048)
const SHAPES: [number, number, number][] = [
  [256, 256, 256],
  [512, 512, 512],
  [2048, 384, 128],
  [2048, 4096, 128],
  [128, 384, 2048],
];

const post = (m: unknown) => (self as unknown as Worker).postMessage(m);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

self.onmessage = async (e: MessageEvent<{ module: 'auto' | 'single'; steps: number; quick: boolean }>) => {
  try {
    const { steps, quick } = e.data;
    const t0 = performance.now();
    const picked = await pickModule(e.data.module);
    const core = await picked.factory(picked.options);
    const loadMs = performance.now() - t0;
    const cfg = JSON.stringify(tinyConfig);
    // the first trained step, as early as the page can take it
    const first = JSON.parse(core.benchTrain(cfg, 1, 1, BATCH, SEQ));
    post({ type: 'first-step', detail: first });

    const twoThreads = core.maxThreads() >= 2;
    const gemm = [];
    for (const [M, N, K] of quick ? SHAPES.slice(0, 1) : SHAPES) {
      post({ type: 'progress', text: `GEMM ${M}x${N}x${K}` });
      const reps = Math.max(3, Math.min(20, Math.round(4e9 / (2 * M * N * K))));
      core.setThreads(1);
      // interleaved rounds so machine noise hits both alike
      const eig: number[] = [], simd: number[] = [], simd2: number[] = [];
      for (let r = 0; r < 3; r++) {
        eig.push(core.benchGemm(M, N, K, 'eigen', reps));
        simd.push(core.benchGemm(M, N, K, 'simd128', reps));
        if (twoThreads) {
          core.setThreads(2);
          simd2.push(core.benchGemm(M, N, K, 'simd128', reps));
          core.setThreads(1);
        }
      }
      const row: Record<string, number | string> = {
        shape: `${M}x${N}x${K}`,
        eigen_gflops: median(eig),
        simd128_gflops: median(simd),
        speedup_simd128_vs_eigen: median(simd) / median(eig),
      };
      if (twoThreads) row.simd128_2t_gflops = median(simd2);
      gemm.push(row);
    }

    // training: 1 and 2 threads alternated, each a full benchTrain (its first step warms up)
    const train1: number[] = [], train2: number[] = [];
    let trainDetail: unknown = null;
    for (let r = 0; r < (quick ? 1 : 3); r++) {
      post({ type: 'progress', text: `train round ${r + 1}` });
      const a = JSON.parse(core.benchTrain(cfg, 1, steps, BATCH, SEQ));
      train1.push(a.tokens_per_s);
      trainDetail = a;
      if (twoThreads) train2.push(JSON.parse(core.benchTrain(cfg, 2, steps, BATCH, SEQ)).tokens_per_s);
    }
    core.setThreads(1);
    post({ type: 'progress', text: 'decode' });
    const decode = JSON.parse(core.benchDecode(cfg, 128, quick ? 1 : 5));

    const result: Record<string, unknown> = {
      module: picked.threaded ? 'llm_core_mt (pthreads)' : 'llm_core (single thread)',
      reason: picked.reason,
      version: core.version(),
      cross_origin_isolated: (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true,
      max_threads: core.maxThreads(),
      hardware_concurrency: navigator.hardwareConcurrency,
      module_load_ms: Math.round(loadMs),
      first_step: first,
      gemm,
      train: {
        config: 'tiny',
        batch: BATCH,
        seq: SEQ,
        steps,
        tokens_per_s_1t: median(train1),
        tokens_per_s_2t: twoThreads ? median(train2) : null,
        speedup_2t_vs_1t: twoThreads ? median(train2) / median(train1) : null,
        rounds_1t: train1,
        rounds_2t: train2,
        last_1t: trainDetail,
      },
      decode_fp32_1t: decode,
    };
    post({ type: 'done', result });
  } catch (err) {
    post({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  }
};
