// Browser test of the built web edition (npm run build, then npm run test:e2e).
//
// Serves web/dist with `vite preview` (COOP/COEP headers on) on a free port, opens it in
// Debian's headless Chromium through playwright-core, trains the tiny model for a few
// steps and checks: the loss fell, sampled text appeared, the page stayed responsive while
// training, and nothing was logged as an error. Saves screenshots under build/screenshots/.
//
// Env: E2E_STEPS (default 60), CHROMIUM (default /usr/bin/chromium), E2E_TIMEOUT_S (default 300).
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { preview } from 'vite';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dist = path.join(repo, 'web/dist');
const shots = path.join(repo, 'build/screenshots');
const STEPS = Number(process.env.E2E_STEPS ?? 60);
const TIMEOUT_MS = Number(process.env.E2E_TIMEOUT_S ?? 300) * 1000;
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

class Failure extends Error {}
const fail = (msg) => {
  throw new Failure(msg);
};
const log = (msg) => console.log(`[e2e] ${msg}`);

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

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

async function run() {
  if (!fs.existsSync(path.join(dist, 'index.html'))) {
    fail(`${path.relative(repo, dist)}/index.html is missing: build the wasm core (CMake target llm_core_wasm) and run \`npm run build\` first`);
  }
  // A dist older than the core it bundles would test yesterday's code.
  const coreDir = path.resolve(process.env.LLM_CORE_DIR ?? path.join(repo, 'web/generated'));
  const coreWasm = path.join(coreDir, 'llm_core.wasm');
  if (fs.existsSync(coreWasm) && fs.statSync(coreWasm).mtimeMs > fs.statSync(path.join(dist, 'index.html')).mtimeMs) {
    fail(`${path.relative(repo, dist)} is older than ${path.relative(repo, coreWasm)}: run \`npm run build\` again`);
  }
  if (!fs.existsSync(CHROMIUM)) fail(`Chromium not found at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM=...)`);
  fs.mkdirSync(shots, { recursive: true });

  const port = await freePort();
  const server = await preview({
    configFile: path.join(repo, 'vite.config.ts'),
    logLevel: 'warn',
    preview: { host: '127.0.0.1', port, strictPort: true, open: false },
  });
  const url = server.resolvedUrls?.local[0] ?? `http://127.0.0.1:${port}/`;
  log(`serving ${path.relative(repo, dist)} at ${url}`);

  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
  const problems = [];
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    // Console messages from the worker arrive here too.
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} (${r.failure()?.errorText})`));
    page.on('response', (r) => {
      if (r.status() >= 400) problems.push(`HTTP ${r.status()} for ${r.url()}`);
    });
    page.on('crash', () => problems.push('the page crashed'));

    const response = await page.goto(`${url}#/train`);
    const headers = response?.headers() ?? {};
    if (headers['cross-origin-embedder-policy'] !== 'require-corp' || headers['cross-origin-opener-policy'] !== 'same-origin') {
      fail(`the preview server does not send COOP/COEP headers (got COOP=${headers['cross-origin-opener-policy']}, COEP=${headers['cross-origin-embedder-policy']})`);
    }

    await page
      .waitForFunction(() => ['ready', 'error'].includes(window.__llmState?.status), null, { timeout: 60_000 })
      .catch(() => fail('the wasm core did not load within 60 s (window.__llmState.status never became "ready")'));
    let state = await page.evaluate(() => window.__llmState);
    if (state.status === 'error') fail(`the page reported an error while loading: ${state.error}`);
    const isolated = await page.evaluate(() => self.crossOriginIsolated);
    log(`core ${state.coreVersion} loaded; crossOriginIsolated=${isolated}`);
    if (!isolated) fail('the page is not cross-origin isolated');

    await page.getByLabel('Steps', { exact: true }).fill(String(STEPS));
    await page.getByLabel('Sample every (steps)', { exact: true }).fill(String(Math.max(1, Math.floor(STEPS / 3))));
    // Start from the keyboard: the form must be usable without a mouse.
    await page.getByRole('button', { name: 'Start training' }).focus();
    await page.keyboard.press('Enter');
    const t0 = Date.now();

    await page
      .waitForFunction(() => (window.__llmState?.step ?? 0) >= 2 || window.__llmState?.status === 'error', null, { timeout: TIMEOUT_MS })
      .catch(() => fail('training did not start (no step reported)'));

    // The UI must stay responsive while the worker trains: a zero-delay timer on the main
    // thread has to fire promptly.
    const lag = await page.evaluate(async () => {
      let worst = 0;
      for (let i = 0; i < 10; i++) {
        const t = performance.now();
        await new Promise((r) => setTimeout(r, 0));
        worst = Math.max(worst, performance.now() - t);
      }
      return worst;
    });
    log(`main-thread timer lag during training: ${lag.toFixed(1)} ms`);
    if (lag > 250) fail(`the main thread was blocked for ${lag.toFixed(0)} ms while training`);

    await page
      .waitForFunction(() => ['done', 'error'].includes(window.__llmState?.status), null, { timeout: TIMEOUT_MS })
      .catch(() => fail(`training did not finish ${STEPS} steps within ${TIMEOUT_MS / 1000} s`));
    const seconds = (Date.now() - t0) / 1000;
    state = await page.evaluate(() => window.__llmState);
    if (state.status === 'error') fail(`the page reported an error: ${state.error}`);
    log(
      `${state.step} steps in ${seconds.toFixed(1)} s (${state.paramCount} params, vocab ${state.vocabSize}, ` +
        `${Math.round(state.tokensPerSec)} tokens/s)`,
    );

    if (state.step !== STEPS || state.losses.length !== STEPS) {
      fail(`expected ${STEPS} steps, the page reports step=${state.step} with ${state.losses.length} losses`);
    }
    if (!state.losses.every(Number.isFinite)) fail('a loss value is not finite');
    const k = Math.max(1, Math.min(5, Math.floor(STEPS / 4)));
    const first = mean(state.losses.slice(0, k));
    const last = mean(state.losses.slice(-k));
    log(`loss: first ${k} steps ${first.toFixed(4)} -> last ${k} steps ${last.toFixed(4)}`);
    if (!(last < first)) fail(`the loss did not fall: mean of first ${k} = ${first}, of last ${k} = ${last}`);

    const sample = (await page.locator('#sample-text').textContent())?.trim() ?? '';
    if (sample.length === 0 || state.sample.trim().length === 0) fail('no sampled text appeared on the page');
    log(`sample: ${JSON.stringify(sample.slice(0, 80))}…`);

    // The chart drew something: uPlot renders into a canvas inside #loss-chart.
    const canvas = await page.locator('#loss-chart canvas').count();
    if (canvas === 0) fail('the loss chart has no canvas');

    const statusText = await page.locator('#train-status').textContent();
    if (!/Done after/.test(statusText ?? '')) fail(`unexpected status line: ${JSON.stringify(statusText)}`);

    await page.screenshot({ path: path.join(shots, 'train.png'), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(300); // let the chart follow the new width
    await page.screenshot({ path: path.join(shots, 'train-mobile.png'), fullPage: true });
    log(`screenshots: ${path.relative(repo, shots)}/train.png, train-mobile.png`);

    // "Sample again" asks the trained model for new text.
    const before = state.samples.length;
    await page.getByRole('button', { name: 'Sample again' }).click();
    await page
      .waitForFunction((n) => window.__llmState.samples.length > n && window.__llmState.status === 'done', before, { timeout: 60_000 })
      .catch(() => fail('"Sample again" produced no new sample'));

    // Stop must interrupt a long run promptly.
    await page.getByLabel('Steps', { exact: true }).fill('100000');
    await page.getByRole('button', { name: 'Start training' }).click();
    await page.waitForFunction(() => window.__llmState.step >= 3, null, { timeout: 60_000 });
    const tStop = Date.now();
    await page.getByRole('button', { name: 'Stop' }).click();
    await page
      .waitForFunction(() => window.__llmState.status === 'done', null, { timeout: 30_000 })
      .catch(() => fail('the Stop button did not stop training within 30 s'));
    state = await page.evaluate(() => window.__llmState);
    if (!state.stopped || state.step >= 100000) fail(`after Stop: stopped=${state.stopped}, step=${state.step}`);
    log(`Stop ended the run at step ${state.step} after ${((Date.now() - tStop) / 1000).toFixed(1)} s`);

    if (problems.length) fail(`errors were reported while the page ran:\n  ${problems.join('\n  ')}`);
  } finally {
    await browser.close();
    await server.close();
  }
}

try {
  await run();
  log('PASS');
} catch (e) {
  console.error(`[e2e] FAIL: ${e instanceof Failure ? e.message : (e?.stack ?? e)}`);
  process.exitCode = 1;
}
