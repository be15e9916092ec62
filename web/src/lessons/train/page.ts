// Pretrain lab: the `tiny` config with a byte-level BPE tokenizer learns the story corpus (or a
// dropped text) in the worker; loss / lr / grad norm / tokens/s are plotted live, per-layer
// telemetry is a heatmap, samples show what it learned. Training goes on while other tabs are
// open (the state lives here, outside the view); the model it trains is the one every lab uses.
import type { LayerTelemetry, SessionInfo, StepInfo } from '../../core/protocol';
import type { Running } from '../../core/client';
import { downloadFiles, loadCheckpoint, saveCheckpoint } from '../../core/storage';
import { t } from '../../i18n';
import { formatCount, h } from '../../ui/dom';
import { LiveChart } from '../../ui/live_chart';
import { lessonHeader, statusLine, type AppContext, type Lesson } from '../lesson';

// configs/model/tiny.json and configs/pretrain/tiny.json (data_dir/out_dir are native-only)
const TINY = { dim: 128, n_layers: 2, n_heads: 4, n_kv_heads: 2, vocab_size: 4096, max_seq_len: 256, ffn: 'swiglu', norm: 'rmsnorm', pos: 'rope' };
const TRAIN = { batch_size: 16, seq_len: 128, warmup_steps: 30, lr: 0.002, min_lr: 0.0002, weight_decay: 0.1, grad_clip: 1.0, spike_factor: 4.0, seed: 1337 };

interface State {
  steps: StepInfo[];
  evals: Array<{ step: number; loss: number }>;
  telemetry: Array<{ step: number; layers: LayerTelemetry[] }>;
  samples: Array<{ step: number; prompt: string; text: string }>;
  running: Running<'pretrain.run'> | null;
  info: SessionInfo | null;
  text: string;
  target: number;
  message: string;
  error: boolean;
}
const S: State = { steps: [], evals: [], telemetry: [], samples: [], running: null, info: null, text: '', target: 300, message: '', error: false };
const views = new Set<() => void>();
const redraw = () => views.forEach((f) => f());
declare global {
  interface Window {
    __pretrain?: State;
  }
}
window.__pretrain = S;

function mount(container: HTMLElement, ctx: AppContext): () => void {
  const status = statusLine('train-status');
  const text = h('textarea', { id: 'train-text', rows: 5, spellcheck: false, 'aria-label': t('train.data') });
  text.value = S.text;
  text.addEventListener('input', () => (S.text = text.value));
  const steps = h('input', { id: 'train-steps', type: 'number', min: 1, max: 100000, value: S.target });
  const lr = h('input', { id: 'train-lr', type: 'number', min: 0.00001, max: 1, step: 'any', value: TRAIN.lr });
  const start = h('button', { type: 'button', class: 'primary', id: 'train-start' }, t('train.start'));
  const fresh = h('button', { type: 'button', id: 'train-new' }, t('train.new'));
  const save = h('button', { type: 'button', id: 'train-save' }, t('train.save'));
  const restore = h('button', { type: 'button', id: 'train-restore' }, t('train.restore'));
  const download = h('button', { type: 'button', id: 'train-download' }, t('train.download'));
  const prompt = h('input', { id: 'train-prompt', type: 'text', value: 'Once upon a time', autocomplete: 'off' });
  const numbers = h('dl', { class: 'stats', id: 'train-numbers' });
  const tele = h('div', { class: 'telemetry', id: 'train-telemetry' });
  const samples = h('ol', { class: 'history', id: 'train-samples', reversed: true });
  const drop = h('div', { class: 'drop', id: 'train-drop', tabindex: 0 }, t('train.drop'));

  const mk = (id: string, title: string) => h('section', { class: 'card' }, h('h3', {}, title), h('div', { class: 'chart', id }));
  const lossCard = mk('chart-loss', t('train.loss'));
  const lrCard = mk('chart-lr', t('train.lrChart'));
  const gnCard = mk('chart-gn', t('train.gradNorm'));
  const spCard = mk('chart-speed', t('train.speed'));
  const charts = [
    new LiveChart(lossCard.querySelector('.chart')!, { xLabel: 'step', yLabel: 'nats', height: 200, series: [{ label: 'train', color: '--chart-1' }, { label: 'val', color: '--chart-2' }] }),
    new LiveChart(lrCard.querySelector('.chart')!, { xLabel: 'step', yLabel: 'lr', height: 160, digits: 5, series: [{ label: 'lr', color: '--chart-1' }] }),
    new LiveChart(gnCard.querySelector('.chart')!, { xLabel: 'step', yLabel: '‖g‖', height: 160, series: [{ label: 'grad norm', color: '--chart-1' }] }),
    new LiveChart(spCard.querySelector('.chart')!, { xLabel: 'step', yLabel: 'tok/s', height: 160, digits: 0, series: [{ label: 'tokens/s', color: '--chart-1' }] }),
  ];

  const draw = () => {
    const xs = S.steps.map((s) => s.step);
    const ev = new Map(S.evals.map((e) => [e.step, e.loss]));
    charts[0].set(xs, [S.steps.map((s) => s.loss), xs.map((x) => ev.get(x) ?? null)]);
    charts[1].set(xs, [S.steps.map((s) => s.lr)]);
    charts[2].set(xs, [S.steps.map((s) => s.gradNorm)]);
    charts[3].set(xs, [S.steps.map((s) => s.tokensPerSec)]);
    const last = S.steps[S.steps.length - 1];
    const row = (k: string, v: string, key: string) => h('div', {}, h('dt', {}, k), h('dd', { 'data-stat': key }, v));
    const m = S.info?.model;
    numbers.replaceChildren(
      row('step', last ? String(last.step) : '–', 'step'),
      row(t('train.loss'), last ? last.loss.toFixed(3) : '–', 'loss'),
      row('val', S.evals.length ? S.evals[S.evals.length - 1].loss.toFixed(3) : '–', 'val'),
      row(t('train.speed'), last ? formatCount(Math.round(last.tokensPerSec)) : '–', 'speed'),
      row('params', m ? formatCount(m.paramCount) : '–', 'params'),
      row('tokens', S.info?.trainData ? formatCount(S.info.trainData.trainTokens) : '–', 'tokens'),
    );
    // telemetry heatmap: rows = layers, columns = telemetry steps; colour = activation RMS, title = numbers
    const rowsN = S.telemetry[0]?.layers.length ?? 0;
    const grid = h('div', { class: 'tele-grid', style: `grid-template-columns: 4em repeat(${Math.max(1, S.telemetry.length)}, 1fr)` });
    const maxRms = Math.max(1e-9, ...S.telemetry.flatMap((x) => x.layers.map((l) => l.actRms)));
    for (let l = 0; l < rowsN; l++) {
      grid.append(h('span', { class: 'muted' }, `L${l}`));
      for (const tt of S.telemetry) {
        const v = tt.layers[l];
        const a = v.actRms / maxRms;
        grid.append(h('span', { class: 'tele-cell', style: `background: hsl(210 80% ${(95 - 55 * a).toFixed(0)}%)`, title: `step ${tt.step} · layer ${l}: act rms ${v.actRms.toFixed(3)}, max ${v.actMax.toFixed(2)}, grad ${v.gradNorm.toFixed(4)}` }));
      }
    }
    tele.replaceChildren(grid);
    samples.replaceChildren(
      ...S.samples.slice().reverse().map((s) => h('li', { value: s.step }, h('span', { class: 'muted' }, `step ${s.step}: `), h('mark', { class: 'prompt' }, s.prompt), s.text)),
    );
    start.textContent = S.running ? t('train.pause') : S.steps.length ? t('train.resume') : t('train.start');
    start.setAttribute('aria-pressed', S.running ? 'true' : 'false');
    status.set(S.message, S.error);
  };
  views.add(draw);

  const note = (msg: string, error = false) => {
    S.message = msg;
    S.error = error;
    redraw();
  };
  const fail = (e: unknown) => note(`${t('common.error')}: ${(e as Error).message}`, true);

  async function prepare(): Promise<void> {
    if (!S.text.trim()) S.text = text.value = (await ctx.core.request('data.stories', { n: 2000, seed: 1 }).result).text;
    note(t('common.working'));
    // tokenizer (a BPE of 1024 trained on this text when there is none), then a fresh model, then the packed text
    const info = await ctx.core.request('session.info', {}).result;
    if (!info.tokenizer) await ctx.core.request('tok.train', { type: 'bpe', text: S.text, vocabSize: 1024, session: true }).result;
    const vocab = (await ctx.core.request('session.info', {}).result).tokenizer?.vocabSize ?? 1024;
    const max = Math.max(Number(steps.value), 1);
    await ctx.core.request('pretrain.build', { trainConfig: { ...TRAIN, model: { ...TINY, vocab_size: Math.max(vocab, 256) }, lr: Number(lr.value), max_steps: max } }).result;
    S.info = await ctx.core.request('pretrain.data', { text: S.text, valFraction: 0.05, seed: 1, trainTokenizer: 0 }).result;
  }

  start.addEventListener('click', async () => {
    if (S.running) {
      S.running.stop();
      return;
    }
    try {
      start.disabled = true;
      if (!S.info?.trainData) await prepare();
      const want = Math.max(1, Number(steps.value)) - (S.steps[S.steps.length - 1]?.step ?? 0);
      if (want <= 0) return note('✓');
      note('');
      const run = ctx.core.request('pretrain.run', { steps: want, telemetryEvery: 10, sampleEvery: 50, evalEvery: 50, prompt: prompt.value, sampleTokens: 48 }, (p) => {
        if (p.type === 'step') S.steps.push(p.info);
        if (p.type === 'step' && p.info.telemetry) S.telemetry.push({ step: p.info.step, layers: p.info.telemetry });
        if (p.type === 'eval') S.evals.push({ step: p.step, loss: p.loss });
        if (p.type === 'sample') S.samples.push({ step: p.step, prompt: p.prompt, text: p.text });
        scheduleRedraw();
      });
      S.running = run;
      start.disabled = false;
      redraw();
      const r = await run.result;
      S.running = null;
      S.info = await ctx.core.request('session.info', {}).result;
      note(r.stopped ? `⏸ step ${r.step}` : `✓ step ${r.step}`);
    } catch (e) {
      S.running = null;
      fail(e);
    } finally {
      start.disabled = false;
    }
  });
  fresh.addEventListener('click', () => {
    S.running?.stop();
    S.steps = [];
    S.evals = [];
    S.telemetry = [];
    S.samples = [];
    S.info = null;
    redraw();
  });
  save.addEventListener('click', async () => {
    try {
      await saveCheckpoint('pretrain', await ctx.core.request('ckpt.save', {}).result);
      note('✓ IndexedDB');
    } catch (e) {
      fail(e);
    }
  });
  restore.addEventListener('click', async () => {
    try {
      const f = await loadCheckpoint('pretrain');
      if (!f) return note('IndexedDB: —', true);
      S.info = await ctx.core.request('ckpt.load', { safetensors: f['model.safetensors'], config: f['config.json'], tokenizer: f['tokenizer.json'] }).result;
      S.info = await ctx.core.request('pretrain.data', { text: S.text || (await ctx.core.request('data.stories', { n: 2000, seed: 1 }).result).text, valFraction: 0.05, seed: 1, trainTokenizer: 0 }).result;
      note('✓');
    } catch (e) {
      fail(e);
    }
  });
  download.addEventListener('click', () => ctx.core.request('ckpt.save', {}).result.then(downloadFiles).catch(fail));

  const takeFile = async (f: File | undefined) => {
    if (!f) return;
    S.text = text.value = await f.text();
    S.info = null;
    note(`${f.name}: ${S.text.length} chars`);
  };
  drop.addEventListener('dragover', (e) => e.preventDefault());
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    takeFile(e.dataTransfer?.files[0]).catch(fail);
  });

  let frame = 0;
  function scheduleRedraw() {
    if (!frame) frame = requestAnimationFrame(() => ((frame = 0), redraw()));
  }

  const root = h(
    'section',
    { class: 'lesson', id: 'lesson-train' },
    lessonHeader(t('train.title'), t('train.intro'), ['docs/training.md', 'docs/optimizers.md', 'docs/packing.md'], ['core/train/trainer.cpp', 'core/data/shard_sampler.cpp', 'native/pretrain.cpp', 'wasm/train_bindings.cpp']),
    h(
      'div',
      { class: 'card' },
      h('div', { class: 'field' }, h('label', { for: 'train-text' }, t('train.data')), text),
      drop,
      h('div', { class: 'row wrap' },
        h('div', { class: 'field' }, h('label', { for: 'train-steps' }, t('train.steps')), steps),
        h('div', { class: 'field' }, h('label', { for: 'train-lr' }, t('train.lr')), lr),
        h('div', { class: 'field grow' }, h('label', { for: 'train-prompt' }, t('train.prompt')), prompt)),
      h('div', { class: 'row wrap' }, start, fresh, save, restore, download),
      status.el,
      numbers,
    ),
    h('div', { class: 'chart-grid' }, lossCard, lrCard, gnCard, spCard),
    h('section', { class: 'card' }, h('h3', {}, t('train.telemetry')), tele),
    h('section', { class: 'card' }, h('h3', {}, t('train.samples')), samples),
  );
  container.append(root);
  draw();
  return () => {
    views.delete(draw);
    cancelAnimationFrame(frame);
    charts.forEach((c) => c.destroy());
    root.remove();
  };
}

export const lesson: Lesson = { id: 'train', order: 30, title: t('train.title'), summary: t('train.summary'), mount };
