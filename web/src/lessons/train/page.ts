// Pretrain lab: the `tiny` config with a byte-level BPE tokenizer learns the story corpus (or a
// dropped text) in the worker; loss / lr / grad norm / tokens/s are plotted live, per-layer
// telemetry is a heatmap, samples show what it learned. Training goes on while other tabs are
// open (the state lives here, outside the view); the model it trains is the one every lab uses.
//
// Train / Resume always trains with the settings of the form: the first press prepares (tokenizer,
// model, packed text: separate requests, Stop honoured between them), every later press first
// reconfigures the trainer around the current weights (pretrain.configure). Save to browser keeps
// the checkpoint files, the trainer state (optimizer moments, step, RNG) and the curves in
// IndexedDB; Restore puts all of it back, so training continues at the saved step.
import type { LayerTelemetry, SessionInfo, StepInfo } from '../../core/protocol';
import { Job, JobStopped } from '../../core/client';
import { downloadFiles, loadCheckpoint, saveCheckpoint } from '../../core/storage';
import { t, tf } from '../../i18n';
import { formatCount, h } from '../../ui/dom';
import { fileDrop } from '../../ui/file_drop';
import { LiveChart } from '../../ui/live_chart';
import { lessonHeader, statusLine, type AppContext, type Lesson } from '../lesson';

// configs/model/tiny.json and configs/pretrain/tiny.json (data_dir/out_dir are native-only)
const TINY = { dim: 128, n_layers: 2, n_heads: 4, n_kv_heads: 2, vocab_size: 4096, max_seq_len: 256, ffn: 'swiglu', norm: 'rmsnorm', pos: 'rope' };
const TRAIN = { batch_size: 16, seq_len: 128, warmup_steps: 30, lr: 0.002, min_lr: 0.0002, weight_decay: 0.1, grad_clip: 1.0, spike_factor: 4.0, seed: 1337 };

/** The curves of a run: drawn here, and saved with the checkpoint. */
interface History {
  steps: StepInfo[];
  evals: Array<{ step: number; loss: number }>;
  telemetry: Array<{ step: number; layers: LayerTelemetry[] }>;
  samples: Array<{ step: number; prompt: string; text: string }>;
}
/** What the lab stores in IndexedDB beside the three checkpoint files. */
interface Saved {
  /** Trainer::save_state bytes: optimizer moments, step counter, RNG. */
  trainerState: Uint8Array;
  step: number;
  history: History;
}
interface State extends History {
  /** The job of the Train / Resume button (preparation, then the training run), while it runs. */
  running: Job | null;
  phase: 'prepare' | 'train' | null;
  /** The next Train builds a new model (first visit, "New model", a new text file). */
  fresh: boolean;
  info: SessionInfo | null;
  text: string;
  /** The form's Steps and Learning rate (kept across tab switches: Resume trains with them). */
  target: number;
  lr: number;
  /** The step of the last save to the browser (the browser test waits on it). */
  savedStep: number | null;
  message: string;
  error: boolean;
}
const S: State = { steps: [], evals: [], telemetry: [], samples: [], running: null, phase: null, fresh: true, info: null, text: '', target: 300, lr: TRAIN.lr, savedStep: null, message: '', error: false };
const views = new Set<() => void>();
const redraw = () => views.forEach((f) => f());
declare global {
  interface Window {
    __pretrain?: State;
  }
}
window.__pretrain = S;

const clearHistory = (h: History = { steps: [], evals: [], telemetry: [], samples: [] }) => {
  S.steps = h.steps;
  S.evals = h.evals;
  S.telemetry = h.telemetry;
  S.samples = h.samples;
};
/** The trainer's step counter, as the worker last reported it. */
const trainerStep = () => S.info?.model?.steps ?? S.steps[S.steps.length - 1]?.step ?? 0;

function mount(container: HTMLElement, ctx: AppContext): () => void {
  const status = statusLine('train-status');
  const text = h('textarea', { id: 'train-text', rows: 5, spellcheck: false, 'aria-label': t('train.data') });
  text.value = S.text;
  text.addEventListener('input', () => (S.text = text.value));
  const steps = h('input', { id: 'train-steps', type: 'number', min: 1, max: 100000, value: S.target });
  steps.addEventListener('input', () => (S.target = Number(steps.value)));
  const lr = h('input', { id: 'train-lr', type: 'number', min: 0.00001, max: 1, step: 'any', value: S.lr });
  lr.addEventListener('input', () => (S.lr = Number(lr.value)));
  const start = h('button', { type: 'button', class: 'primary', id: 'train-start' }, t('train.start'));
  const fresh = h('button', { type: 'button', id: 'train-new' }, t('train.new'));
  const save = h('button', { type: 'button', id: 'train-save' }, t('train.save'));
  const restore = h('button', { type: 'button', id: 'train-restore' }, t('train.restore'));
  const download = h('button', { type: 'button', id: 'train-download' }, t('train.download'));
  const prompt = h('input', { id: 'train-prompt', type: 'text', value: 'Once upon a time', autocomplete: 'off' });
  const numbers = h('dl', { class: 'stats', id: 'train-numbers' });
  const tele = h('div', { class: 'telemetry', id: 'train-telemetry' });
  const samples = h('ol', { class: 'history', id: 'train-samples', reversed: true });
  const drop = fileDrop({ id: 'train-drop', inputId: 'train-file', text: t('train.drop'), accept: '.txt,text/plain', onFiles: (fs) => void takeFile(fs[0]).catch(fail) });

  const mk = (id: string, title: string) => h('section', { class: 'card' }, h('h3', {}, title), h('div', { class: 'chart', id }));
  const lossCard = mk('chart-loss', t('train.loss'));
  const lrCard = mk('chart-lr', t('train.lrChart'));
  const gnCard = mk('chart-gn', t('train.gradNorm'));
  const spCard = mk('chart-speed', t('train.speed'));
  const axis = t('common.stepAxis');
  const charts = [
    new LiveChart(lossCard.querySelector('.chart')!, { xLabel: axis, yLabel: t('train.axisLoss'), height: 200, series: [{ label: t('train.seriesTrain'), color: '--chart-1' }, { label: t('train.seriesVal'), color: '--chart-2' }] }),
    new LiveChart(lrCard.querySelector('.chart')!, { xLabel: axis, yLabel: t('train.axisLr'), height: 160, digits: 5, series: [{ label: t('train.axisLr'), color: '--chart-1' }] }),
    new LiveChart(gnCard.querySelector('.chart')!, { xLabel: axis, yLabel: '‖g‖', height: 160, series: [{ label: t('train.gradNorm'), color: '--chart-1' }] }),
    new LiveChart(spCard.querySelector('.chart')!, { xLabel: axis, yLabel: t('train.axisSpeed'), height: 160, digits: 0, series: [{ label: t('train.axisSpeed'), color: '--chart-1' }] }),
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
      row(t('train.statStep'), last ? String(last.step) : m?.steps ? String(m.steps) : '–', 'step'),
      row(t('train.loss'), last ? last.loss.toFixed(3) : '–', 'loss'),
      row(t('train.statVal'), S.evals.length ? S.evals[S.evals.length - 1].loss.toFixed(3) : '–', 'val'),
      row(t('train.speed'), last ? formatCount(Math.round(last.tokensPerSec)) : '–', 'speed'),
      row(t('train.statParams'), m ? formatCount(m.paramCount) : '–', 'params'),
      row(t('train.statTokens'), S.info?.trainData ? formatCount(S.info.trainData.trainTokens) : '–', 'tokens'),
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
        const title = tf('train.teleCell', { step: tt.step, layer: l, rms: v.actRms.toFixed(3), max: v.actMax.toFixed(2), grad: v.gradNorm.toFixed(4) });
        grid.append(h('span', { class: 'tele-cell', style: `background: hsl(210 80% ${(95 - 55 * a).toFixed(0)}%)`, title }));
      }
    }
    tele.replaceChildren(grid);
    samples.replaceChildren(
      ...S.samples.slice().reverse().map((s) => h('li', { value: s.step }, h('span', { class: 'muted' }, tf('train.sampleAt', { step: s.step })), h('mark', { class: 'prompt' }, s.prompt), s.text)),
    );
    start.textContent = S.phase === 'prepare' ? t('common.stop') : S.running ? t('train.pause') : !S.fresh && trainerStep() > 0 ? t('train.resume') : t('train.start');
    start.setAttribute('aria-pressed', S.running ? 'true' : 'false');
    start.classList.toggle('danger', S.running !== null);
    // a restore or a new model while a job runs would swap the model under it
    restore.disabled = fresh.disabled = S.running !== null;
    status.set(S.message, S.error);
  };
  views.add(draw);

  const note = (msg: string, error = false) => {
    S.message = msg;
    S.error = error;
    redraw();
  };
  const fail = (e: unknown) => note(`${t('common.error')}: ${(e as Error).message}`, true);

  /** The training config of the form: configs/pretrain/tiny.json with the form's steps and lr. */
  const trainConfig = () => {
    const rate = Number(lr.value);
    return { ...TRAIN, lr: rate, min_lr: Math.min(TRAIN.min_lr, rate), max_steps: Math.max(Number(steps.value), 1) };
  };

  async function ensureText(job: Job): Promise<void> {
    if (S.text.trim()) return;
    note(t('train.prep.stories'));
    S.text = text.value = (await job.run('data.stories', { n: 2000, seed: 1 })).text;
  }
  async function pack(job: Job): Promise<void> {
    await ensureText(job);
    note(t('train.prep.pack'));
    S.info = await job.run('pretrain.data', { text: S.text, valFraction: 0.05, seed: 1, trainTokenizer: 0 });
  }
  // a new model: tokenizer (a BPE of 1024 trained on this text when there is none), then the
  // model, then the packed text, one request each so a stop lands between them
  async function prepare(job: Job): Promise<void> {
    await ensureText(job);
    if (!(await job.run('session.info', {})).tokenizer) {
      note(t('train.prep.tokenizer'));
      await job.run('tok.train', { type: 'bpe', text: S.text, vocabSize: 1024, session: true });
    }
    note(t('train.prep.build'));
    const vocab = (await job.run('session.info', {})).tokenizer?.vocabSize ?? 1024;
    S.info = await job.run('pretrain.build', { trainConfig: { ...trainConfig(), model: { ...TINY, vocab_size: Math.max(vocab, 256) } } });
    S.fresh = false;
    clearHistory();  // a new model starts a new curve
    await pack(job);
  }
  // the model there is (trained here or restored) continues with the form's settings at its own step
  async function configure(job: Job): Promise<void> {
    S.info = await job.run('pretrain.configure', { trainConfig: trainConfig() });
    if (!S.info.trainData) await pack(job);
  }

  /** Runs a job of the lab (the start button is its stop button meanwhile). */
  async function runJob(body: (job: Job) => Promise<void>): Promise<void> {
    const job = new Job(ctx.core);
    S.running = job;
    S.phase = 'prepare';
    note('');
    try {
      await body(job);
    } catch (e) {
      if (e instanceof JobStopped) note(t('train.stoppedPrep'));
      else fail(e);
    } finally {
      S.running = null;
      S.phase = null;
      redraw();
    }
  }

  start.addEventListener('click', () => {
    if (S.running) {
      S.running.stop();
      return;
    }
    void runJob(async (job) => {
      if (S.fresh || !S.info?.model) await prepare(job);
      else await configure(job);
      const want = Math.max(1, Number(steps.value)) - trainerStep();
      if (want <= 0) return note(tf('train.reached', { step: trainerStep() }));
      S.phase = 'train';
      note('');
      const r = await job.run('pretrain.run', { steps: want, telemetryEvery: 10, sampleEvery: 50, evalEvery: 50, prompt: prompt.value, sampleTokens: 48 }, (p) => {
        if (p.type === 'step') S.steps.push(p.info);
        if (p.type === 'step' && p.info.telemetry) S.telemetry.push({ step: p.info.step, layers: p.info.telemetry });
        if (p.type === 'eval') S.evals.push({ step: p.step, loss: p.loss });
        if (p.type === 'sample') S.samples.push({ step: p.step, prompt: p.prompt, text: p.text });
        scheduleRedraw();
      });
      S.info = await ctx.core.request('session.info', {}).result;
      note(r.stopped ? tf('train.pausedAt', { step: r.step }) : tf('train.doneAt', { step: r.step }));
    });
  });
  fresh.addEventListener('click', () => {
    clearHistory();
    S.info = null;
    S.fresh = true;
    note('');
  });
  save.addEventListener('click', async () => {
    try {
      // one request: the weights and the trainer state of the same step, even while training runs
      const r = await ctx.core.request('pretrain.save', {}).result;
      const history: History = {
        steps: S.steps.filter((x) => x.step <= r.step),
        evals: S.evals.filter((x) => x.step <= r.step),
        telemetry: S.telemetry.filter((x) => x.step <= r.step),
        samples: S.samples.filter((x) => x.step <= r.step),
      };
      await saveCheckpoint<Saved>('pretrain', { ...r.files, trainerState: r.state, step: r.step, history });
      S.savedStep = r.step;
      note(tf('train.saved', { step: r.step }));
    } catch (e) {
      fail(e);
    }
  });
  restore.addEventListener('click', () => {
    if (S.running) return;
    void runJob(async (job) => {
      const f = await loadCheckpoint<Saved>('pretrain');
      if (!f) return note(t('train.noSaved'), true);
      note(t('common.working'));
      // the saved weights and trainer state, with the training settings of the form
      S.info = await job.run('pretrain.restore', {
        safetensors: f['model.safetensors'], config: f['config.json'], tokenizer: f['tokenizer.json'],
        trainConfig: trainConfig(), state: f.trainerState ?? null,
      });
      S.fresh = false;
      const step = S.info.model?.steps ?? 0;
      clearHistory(f.history && f.step === step ? f.history : undefined);
      await pack(job);
      note(f.trainerState ? tf('train.restored', { step }) : t('train.restoredNoState'));
    });
  });
  download.addEventListener('click', () => ctx.core.request('ckpt.save', {}).result.then(downloadFiles).catch(fail));

  // a new text: the next Train builds a new model on it
  async function takeFile(f: File | undefined): Promise<void> {
    if (!f) return;
    S.text = text.value = await f.text();
    S.fresh = true;
    note(tf('train.fileLoaded', { name: f.name, n: S.text.length }));
  }

  let frame = 0;
  function scheduleRedraw() {
    if (!frame) frame = requestAnimationFrame(() => ((frame = 0), redraw()));
  }

  const root = h(
    'section',
    { class: 'lesson', id: 'lesson-train' },
    lessonHeader(t('train.title'), t('train.intro'), ['docs/training.md', 'docs/optimizers.md', 'docs/packing.md', 'docs/checkpoints.md'], ['core/train/trainer.cpp', 'core/data/shard_sampler.cpp', 'native/pretrain.cpp', 'wasm/train_bindings.cpp']),
    h(
      'div',
      { class: 'card' },
      h('div', { class: 'field' }, h('label', { for: 'train-text' }, t('train.data')), text),
      drop.zone,
      drop.input,
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
