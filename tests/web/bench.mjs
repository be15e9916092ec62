// Browser benchmark (npm run bench:web): speed of the wasm core in headless Chromium, as JSON.
//
// Builds nothing. Serves web/dist (npm run build makes it, with web/bench.html as a second
// page) through `vite preview` (COOP/COEP on, so the page is cross-origin isolated and picks the
// pthreads build), opens bench.html in /usr/bin/chromium via playwright-core and waits for
// window.__bench. Then the same page with ?module=single (the fallback build, 1 thread).
// Then, if a native `llm` binary is found (LLM_BIN, else build/bin/llm), runs
// `llm bench train --config tiny --threads 1,2` and `llm bench decode --config tiny` right after,
// and prints every figure against the issue's targets:
//   wasm 1-thread >= 40% of native 1-thread; 2 threads >= 1.6x one thread; SIMD128 GEMM >= 1.5x Eigen wasm.
// Nothing is asserted: this is a measurement (exit 1 only when the page fails to run).
//
// Env: CHROMIUM (default /usr/bin/chromium), LLM_BIN, BENCH_DIST (a `vite build --outDir` other than web/dist), BENCH_STEPS (training steps per round, 6),
//      BENCH_QUICK=1 (one shape, one round: a smoke run), BENCH_TIMEOUT_S (600).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { preview } from 'vite';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dist = path.resolve(process.env.BENCH_DIST ?? path.join(repo, 'web/dist'));
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const STEPS = Number(process.env.BENCH_STEPS ?? 6);
const QUICK = process.env.BENCH_QUICK === '1';
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_S ?? 600) * 1000;
const log = (m) => console.error(`[bench:web] ${m}`);  // stdout is the JSON only

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function runPage(browser, url) {
  const page = await browser.newPage();
  const errors = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  await page.waitForFunction(() => window.__bench && window.__bench.status !== 'running', null, { timeout: TIMEOUT_MS });
  const b = await page.evaluate(() => window.__bench);
  await page.close();
  if (b.status !== 'done') throw new Error(`${url}: ${b.error}${errors.length ? `\n${errors.join('\n')}` : ''}`);
  if (errors.length) b.result.console_errors = errors;
  return b.result;
}

function nativeBench(bin) {
  const run = (args) =>
    JSON.parse(execFileSync(bin, args, { cwd: repo, encoding: 'utf8', maxBuffer: 1 << 24, stdio: ['ignore', 'pipe', 'ignore'] }));
  const train = run(['bench', 'train', '--config', 'tiny', '--threads', '1,2', '--reps', '5']).train;
  const decode = run(['bench', 'decode', '--config', 'tiny', '--precision', 'fp32', '--threads', '1', '--steps', '128', '--reps', '5']);
  const row = (decode.decode ?? []).find((r) => r.precision === 'fp32');
  return {
    binary: path.relative(repo, bin),
    train_tokens_per_s_1t: train.tokens_per_s_1t,
    train_tokens_per_s_2t: train.tokens_per_s_2t,
    speedup_2t_vs_1t: train.tokens_per_s_2t / train.tokens_per_s_1t,
    batch: train.batch,
    seq: train.seq,
    decode_fp32_tokens_per_s_1t: row ? row.tokens_per_s : null,
  };
}

async function main() {
  if (!fs.existsSync(path.join(dist, 'bench.html')))
    throw new Error('web/dist/bench.html is missing: build the wasm modules (CMake targets llm_core_wasm, llm_core_wasm_mt) and run `npm run build`');
  if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}`);
  const port = await freePort();
  const server = await preview({
    configFile: path.join(repo, 'vite.config.ts'),
    logLevel: 'warn',
    preview: { host: '127.0.0.1', port, strictPort: true, open: false },
    build: { outDir: dist },
  });
  const base = `http://127.0.0.1:${port}/bench.html?steps=${STEPS}${QUICK ? '&quick' : ''}`;
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
  const out = { when: new Date().toISOString(), chromium: browser.version(), load_average: os.loadavg() };
  try {
    log('threaded page (auto)');
    out.web = await runPage(browser, base);
    log('single-thread page (?module=single)');
    // the fallback build is reported, not required: a failure here is recorded, not fatal
    out.web_single = await runPage(browser, `${base}&module=single`).catch((e) => ({ error: e.message }));
  } finally {
    await browser.close();
    await server.httpServer.close();
  }
  const bin = process.env.LLM_BIN ?? path.join(repo, 'build/bin/llm');
  if (fs.existsSync(bin)) {
    log(`native: ${bin} bench train/decode --config tiny`);
    out.native = nativeBench(bin);
  } else {
    out.native = { skipped: `no native binary at ${bin} (set LLM_BIN)` };
  }
  // the issue's targets
  const w = out.web;
  const gemm = w.gemm.map((g) => g.speedup_simd128_vs_eigen);
  out.targets = {
    wasm_1t_vs_native_1t: out.native.train_tokens_per_s_1t
      ? { value: w.train.tokens_per_s_1t / out.native.train_tokens_per_s_1t, target: '>= 0.40' }
      : null,
    wasm_2t_vs_1t: w.train.speedup_2t_vs_1t != null ? { value: w.train.speedup_2t_vs_1t, target: '>= 1.6' } : null,
    simd128_vs_eigen_min: { value: Math.min(...gemm), target: '>= 1.5' },
    simd128_vs_eigen_per_shape: Object.fromEntries(w.gemm.map((g) => [g.shape, g.speedup_simd128_vs_eigen])),
    decode_wasm_vs_native: out.native.decode_fp32_tokens_per_s_1t
      ? w.decode_fp32_1t.tokens_per_s / out.native.decode_fp32_tokens_per_s_1t
      : null,
    page_load_to_first_step_ms: w.page_load_to_first_step_ms,
  };
  console.log(JSON.stringify(out, null, 2));
}

main().catch((e) => {
  console.error(`[bench:web] FAILED: ${e.message}`);
  process.exit(1);
});
