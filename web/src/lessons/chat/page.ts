// Chat: stream tokens from the session model with sampling controls, and load a checkpoint
// trained by the native CLI by dropping its folder (or its three files) on the page, or picking them.
// The lesson's root gets data-checkpoint="loaded" once a checkpoint loaded (the browser test waits on it).
import type { SessionInfo } from '../../core/protocol';
import type { Running } from '../../core/client';
import { t, tf, type StringKey } from '../../i18n';
import { formatCount, h } from '../../ui/dom';
import { fileDrop } from '../../ui/file_drop';
import { lessonHeader, statusLine, type AppContext, type Lesson } from '../lesson';

const NEEDED = ['model.safetensors', 'config.json', 'tokenizer.json'] as const;
/** The engine's finish reasons (core/infer/engine.h), in words. */
const REASONS: Record<string, StringKey> = { stop: 'chat.reason.stop', length: 'chat.reason.length', abort: 'chat.reason.abort' };

// Files from a drop: a folder's entries are walked (webkitGetAsEntry), plain files taken as they are.
async function droppedFiles(dt: DataTransfer): Promise<File[]> {
  const out: File[] = [];
  const walk = async (e: FileSystemEntry): Promise<void> => {
    if (e.isFile) out.push(await new Promise<File>((res, rej) => (e as FileSystemFileEntry).file(res, rej)));
    else if (e.isDirectory) {
      const r = (e as FileSystemDirectoryEntry).createReader();
      for (;;) {
        const batch = await new Promise<FileSystemEntry[]>((res, rej) => r.readEntries(res, rej));
        if (!batch.length) break;
        for (const c of batch) await walk(c);
      }
    }
  };
  const entries = Array.from(dt.items, (i) => i.webkitGetAsEntry?.()).filter((e): e is FileSystemEntry => !!e);
  if (entries.length) for (const e of entries) await walk(e);
  else out.push(...Array.from(dt.files));
  return out;
}

export async function loadCheckpointFiles(ctx: AppContext, files: File[]): Promise<SessionInfo> {
  const by = new Map(files.map((f) => [f.name, f]));
  const missing = NEEDED.filter((n) => !by.has(n));
  if (missing.length) throw new Error(tf('chat.missing', { missing: missing.join(', '), needed: NEEDED.join(', ') }));
  return ctx.core.request('ckpt.load', {
    safetensors: new Uint8Array(await by.get('model.safetensors')!.arrayBuffer()),
    config: await by.get('config.json')!.text(),
    tokenizer: await by.get('tokenizer.json')!.text(),
  }).result;
}

function mount(container: HTMLElement, ctx: AppContext): () => void {
  let alive = true;
  let running: Running<'gen.run'> | null = null;
  const status = statusLine('chat-status');
  const model = h('p', { class: 'muted', id: 'chat-model' });
  // one tab stop: the zone (Enter / Space opens the picker); the file input itself is hidden
  const drop = fileDrop({
    id: 'chat-drop', inputId: 'chat-files', text: t('chat.drop'), multiple: true,
    onFiles: (files) => void load(files),
    onDrop: (dt) => void droppedFiles(dt).then(load).catch((err: Error) => status.set(`${t('common.error')}: ${err.message}`, true)),
  });
  const prompt = h('textarea', { id: 'chat-prompt', rows: 3 }, 'Once upon a time');
  const mode = h('select', { id: 'chat-mode' }, h('option', { value: 'text' }, t('chat.modeText')), h('option', { value: 'chat' }, t('chat.modeChat')));
  const num = (id: string, label: string, attrs: Record<string, string | number>) => {
    const i = h('input', { id, type: 'number', ...attrs });
    return { i, f: h('div', { class: 'field' }, h('label', { for: id }, label), i) };
  };
  const temp = num('chat-temp', t('chat.temperature'), { min: 0, max: 2, step: 0.05, value: 0.8 });
  const topk = num('chat-topk', t('chat.topK'), { min: 0, max: 1000, value: 0 });
  const topp = num('chat-topp', t('chat.topP'), { min: 0.01, max: 1, step: 0.01, value: 0.95 });
  const maxt = num('chat-max', t('chat.maxTokens'), { min: 1, max: 1024, value: 100 });
  const seed = num('chat-seed', t('chat.seed'), { min: 0, value: 1 });
  const send = h('button', { type: 'submit', class: 'primary', id: 'chat-send' }, t('chat.send'));
  const out = h('output', { class: 'sample', id: 'chat-output', 'aria-live': 'polite' });
  const stats = h('p', { class: 'muted', id: 'chat-stats' });

  const showModel = (info: SessionInfo | null) => {
    const m = info?.model;
    model.textContent = m
      ? tf('chat.modelLine', { params: formatCount(m.paramCount), layers: String(m.config.n_layers), dim: String(m.config.dim), tok: info?.tokenizer?.type ?? '?', vocab: info?.tokenizer?.vocabSize ?? '?' })
      : t('chat.noModel');
  };
  const refresh = () => ctx.core.request('session.info', {}).result.then((i) => alive && showModel(i)).catch(() => undefined);
  const unwatch = ctx.core.onSession(showModel);
  ctx.core.whenReady().then(refresh).catch(() => undefined);

  async function load(files: File[]): Promise<void> {
    delete root.dataset.checkpoint;
    try {
      status.set(t('common.working'));
      const info = await loadCheckpointFiles(ctx, files);
      if (!alive) return;
      showModel(info);
      status.set(t('chat.loaded'));
      root.dataset.checkpoint = 'loaded';
    } catch (e) {
      if (alive) status.set(`${t('common.error')}: ${(e as Error).message}`, true);
    }
  }

  const form = h(
    'form',
    { class: 'card', id: 'chat-form' },
    h('div', { class: 'field' }, h('label', { for: 'chat-prompt' }, t('chat.prompt')), prompt),
    h('div', { class: 'row wrap' }, h('div', { class: 'field' }, h('label', { for: 'chat-mode' }, t('chat.mode')), mode), temp.f, topk.f, topp.f, maxt.f, seed.f),
    send,
    status.el,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (running) {
      running.stop();
      return;
    }
    out.textContent = '';
    stats.textContent = '';
    const sampling = { temperature: Number(temp.i.value), top_k: Number(topk.i.value), top_p: Number(topp.i.value), max_tokens: Number(maxt.i.value), seed: Number(seed.i.value) };
    const chat = mode.value === 'chat' ? [{ role: 'user', content: prompt.value }] : undefined;
    running = ctx.core.request('gen.run', { prompt: prompt.value, chat, sampling }, (p) => alive && out.append(p.text));
    send.textContent = t('common.stop');
    try {
      const r = await running.result;
      if (alive) {
        out.dataset.done = '1';
        const reason = REASONS[r.finishReason];
        stats.textContent = tf('chat.stats', { tokens: r.tokens, rate: r.tokensPerSec.toFixed(1), reason: reason ? t(reason) : r.finishReason });
        status.set('');
      }
    } catch (err) {
      if (alive) status.set(`${t('common.error')}: ${(err as Error).message}`, true);
    } finally {
      running = null;
      send.textContent = t('chat.send');
    }
  });
  prompt.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) form.requestSubmit();
  });

  const root = h(
    'section',
    { class: 'lesson', id: 'lesson-chat' },
    lessonHeader(t('chat.title'), t('chat.intro'), ['docs/sampling.md', 'docs/paged_attention.md', 'docs/checkpoints.md'], ['core/infer/engine.cpp', 'core/infer/sampler.cpp', 'core/infer/text_stream.cpp', 'native/generate.cpp', 'wasm/infer_bindings.cpp']),
    h('div', { class: 'card' }, model, drop.zone, drop.input),
    form,
    h('section', { class: 'card' }, out, stats),
  );
  container.append(root);
  return () => {
    alive = false;
    running?.stop();
    unwatch();
    root.remove();
  };
}

export const lesson: Lesson = { id: 'chat', order: 40, title: t('chat.title'), summary: t('chat.summary'), mount };
