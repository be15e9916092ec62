// Helpers of the ALIGN-WEB walks (sft, dpo, paged, runs): navigation, screenshots and the
// "tiny chat base" both fine-tuning labs need. ctx comes from tests/web/e2e.mjs (shot, log,
// shots); the fallbacks let a walk run from another driver too.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export async function open(page, id) {
  await page.evaluate((h) => (location.hash = h), `#/${id}`);
  await page.waitForSelector(`#${id}-title`, { timeout: 30_000 });
}

export async function shot(page, ctx, name) {
  if (typeof ctx?.shot === 'function') return ctx.shot(name);
  const dir = ctx?.shots ?? path.join(repo, 'build/screenshots');
  fs.mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true });
}

export function log(ctx, msg) {
  if (typeof ctx?.log === 'function') ctx.log(msg);
  else console.log(`[e2e] ${msg}`);
}

export function check(cond, msg) {
  if (!cond) throw new Error(msg);
}

/** Makes the current model chat-ready through the lab's own button when it is not already. */
export async function ensureBase(page, prefix) {
  const card = page.locator(`section.base-card:has(#${prefix}-base-status)`);
  await page.waitForFunction((p) => document.querySelector(`#${p}-base-status`)?.textContent !== '', prefix, { timeout: 60_000 });
  if ((await card.getAttribute('data-ready')) === 'true') return false;
  await page.click(`#${prefix}-base-button`);
  // the base is ready when the button is back (not "Stop") and the card says so
  await page.waitForFunction(
    (p) => {
      const b = document.querySelector(`#${p}-base-button`);
      const c = b?.closest('section.base-card');
      return c?.getAttribute('data-ready') === 'true' && !b.classList.contains('danger');
    },
    prefix,
    { timeout: 300_000 },
  );
  return true;
}
