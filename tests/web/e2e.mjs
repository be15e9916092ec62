// Browser test of the built web edition (npm run build, then npm run test:e2e).
//
// Serves web/dist with `vite preview` (COOP/COEP headers on) on a free port, opens it in
// Debian's headless Chromium through playwright-core, then runs every walk in
// tests/web/walks/*.mjs: each exports `async function walk(page, ctx)` (ctx: url, repo, shots,
// open(id), shot(name), until(fn, arg, ms, msg), fail, log). Any console error fails the run.
// Screenshots go to build/screenshots/.
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

    const response = await page.goto(url);
    const headers = response?.headers() ?? {};
    if (headers['cross-origin-embedder-policy'] !== 'require-corp' || headers['cross-origin-opener-policy'] !== 'same-origin') {
      fail(`the preview server does not send COOP/COEP headers (got COOP=${headers['cross-origin-opener-policy']}, COEP=${headers['cross-origin-embedder-policy']})`);
    }
    await page
      .waitForFunction(() => document.querySelector('footer [data-core=ready]') !== null, null, { timeout: 60_000 })
      .catch(() => fail('the wasm core did not load within 60 s (the footer never showed its version)'));
    log(`wasm core: ${await page.locator('footer [data-core=ready]').textContent()}`);

    // every walk in tests/web/walks/*.mjs, in the order below (E2E_WALKS=tokenizer,chat runs a subset)
    const only = process.env.E2E_WALKS ? new Set(process.env.E2E_WALKS.split(',')) : null;
    const walksDir = path.join(repo, 'tests/web/walks');
    // the core lessons first, in tab order (later walks use the model trained in 'train'), then the rest by name
    const first = ['tokenizer.mjs', 'model.mjs', 'train.mjs', 'chat.mjs'];
    const rank = (f) => (first.includes(f) ? first.indexOf(f) : first.length);
    const names = fs.readdirSync(walksDir).filter((f) => f.endsWith('.mjs')).sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
    const ctx = {
      url, repo, shots, fail, log, problems, STEPS, TIMEOUT_MS,
      /** goes to #/<id> and waits for its lesson section */
      async open(id) {
        await page.goto(`${url}#/${id}`);
        await page.locator(`#lesson-${id}`).waitFor({ timeout: 30_000 });
      },
      async shot(name) {
        await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
        log(`screenshot ${path.relative(repo, shots)}/${name}.png`);
      },
      /** fails with msg unless fn (run in the page) becomes truthy within ms */
      async until(fn, arg, ms, msg) {
        await page.waitForFunction(fn, arg, { timeout: ms }).catch(() => fail(msg));
      },
    };
    for (const f of names) {
      const name = f.replace(/\.mjs$/, '');
      if (only && !only.has(name)) continue;
      const { walk } = await import(path.join(walksDir, f));
      const t0 = Date.now();
      log(`walk ${name}…`);
      await walk(page, ctx);
      log(`walk ${name} ok (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
      if (problems.length) fail(`errors were reported during walk ${name}:\n  ${problems.join('\n  ')}`);
    }

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
