// Chat: stream from the model trained in the Pretrain walk, then load a checkpoint trained by the
// native CLI (build/bin/llm) and get exactly the text of `llm generate --temperature 0`.
// Matches on ids, classes and data attributes, not on text, so it passes in either language.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export async function walk(page, ctx) {
  await ctx.open('chat');
  await page.locator('#chat-temp').fill('0.8');
  await page.locator('#chat-max').fill('30');
  await page.locator('#chat-prompt').fill('Once upon a time');
  await page.locator('#chat-send').click();
  await ctx.until(() => document.querySelector('#chat-output')?.dataset.done === '1' || document.querySelector('#chat-status')?.classList.contains('error'), null, 60_000, 'generation did not finish');
  if (await page.locator('#chat-status.error').count()) ctx.fail(`chat: ${await page.locator('#chat-status').textContent()}`);

  // a native checkpoint, made here with a few steps
  const llm = path.join(ctx.repo, 'build/bin/llm');
  if (!fs.existsSync(llm)) ctx.fail(`${llm} is missing: build the native CLI first (.ci/build native)`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'llm-e2e-'));
  const run = (...args) => execFileSync(llm, args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  run('data', 'generate', 'stories', '--n', '600', '--seed', '1', '--out', 'corpus.txt');
  run('tokenizer', 'train', '--input', 'corpus.txt', '--vocab-size', '512', '--out', 'data/tokenizer.json');
  run('data', 'pack', '--input', 'corpus.txt', '--tokenizer', 'data/tokenizer.json', '--out', 'data', '--val-fraction', '0.05');
  fs.writeFileSync(path.join(dir, 'pre.json'), JSON.stringify({
    model: { dim: 64, n_layers: 2, n_heads: 4, n_kv_heads: 2, vocab_size: 512, max_seq_len: 128 },
    data_dir: 'data', out_dir: 'run', batch_size: 8, seq_len: 64, max_steps: 30, warmup_steps: 5, lr: 0.005, min_lr: 0.0005,
    eval_every: 30, eval_batches: 2, checkpoint_every: 30,
  }));
  run('pretrain', '--config', 'pre.json');
  const prompt = 'Once upon a time';
  const expected = run('generate', '--checkpoint', 'run', '--prompt', prompt, '--temperature', '0', '--max-tokens', '40').replace(/\n$/, '');
  const ck = path.join(dir, 'run/checkpoints', fs.readFileSync(path.join(dir, 'run/checkpoints/latest'), 'utf8').trim());
  const files = ['model.safetensors', 'config.json', 'tokenizer.json'].map((f) => path.join(fs.existsSync(path.join(ck, f)) ? ck : path.join(dir, 'run/checkpoints/best'), f));
  await page.locator('#chat-files').setInputFiles(files);
  await ctx.until(() => document.querySelector('#lesson-chat')?.dataset.checkpoint === 'loaded' || document.querySelector('#chat-status')?.classList.contains('error'), null, 30_000, 'the checkpoint did not load');
  if (await page.locator('#chat-status.error').count()) ctx.fail(`loading the native checkpoint: ${await page.locator('#chat-status').textContent()}`);
  await page.locator('#chat-temp').fill('0');
  await page.locator('#chat-max').fill('40');
  await page.locator('#chat-prompt').fill(prompt);
  await page.evaluate(() => delete document.querySelector('#chat-output').dataset.done);
  await page.locator('#chat-send').click();
  await ctx.until(() => document.querySelector('#chat-output')?.dataset.done === '1', null, 60_000, 'greedy generation did not finish');
  const got = await page.locator('#chat-output').textContent();
  ctx.log(`native: ${JSON.stringify(expected.slice(0, 60))}  page: ${JSON.stringify(got.slice(0, 60))}`);
  if (got !== expected) ctx.fail(`the page's greedy text differs from llm generate:\n  native: ${JSON.stringify(expected)}\n  page:   ${JSON.stringify(got)}`);
  await ctx.shot('chat');
  fs.rmSync(dir, { recursive: true, force: true });
}
