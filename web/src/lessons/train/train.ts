// Lesson "Train a tiny model": a character-level transformer from the C++ core learns the
// built-in stories in a Web Worker; the loss is plotted live and samples show what it learned.
import type { Lesson, AppContext } from '../lesson';
import { CORPUS, CORPUS_TITLE } from '../../corpus';
import { h, formatCount } from '../../ui/dom';
import { LiveChart } from '../../ui/live_chart';
import { DEFAULT_PRESET, PRESETS } from './presets';
import { TrainSession, type Change } from './session';

// Sampling re-runs the model once per character (no KV cache yet): keep samples short.
const SAMPLE_CHARS = 200;
const DEFAULT_PROMPT = 'Once upon a time';

let session: TrainSession | null = null;
// The training text survives lesson switches like the session does.
let text = CORPUS;

function numberField(label: string, id: string, attrs: Record<string, string | number>) {
  const input = h('input', { id, name: id, type: 'number', inputmode: 'decimal', required: true, ...attrs });
  return { input, field: h('div', { class: 'field' }, h('label', { for: id }, label), input) };
}

function mount(container: HTMLElement, ctx: AppContext): () => void {
  session ??= new TrainSession(ctx.core);
  const sess = session;
  const st = sess.state;

  // ---- controls ----
  const preset = h('select', { id: 'train-preset', name: 'preset' });
  for (const p of PRESETS) preset.append(h('option', { value: p.id, selected: p.id === DEFAULT_PRESET }, p.label));
  const def = PRESETS.find((p) => p.id === DEFAULT_PRESET)!;
  const steps = numberField('Steps', 'train-steps', { min: 1, max: 100000, step: 1, value: def.steps });
  const lr = numberField('Learning rate', 'train-lr', { min: 0.00001, max: 1, step: 'any', value: def.options.lr });
  const every = numberField('Sample every (steps)', 'train-every', { min: 0, max: 100000, step: 1, value: 50 });
  const temp = h('input', { id: 'train-temp', name: 'temperature', type: 'range', min: 0.1, max: 1.5, step: 0.05, value: 0.8 });
  const tempOut = h('output', { for: 'train-temp', id: 'train-temp-out' }, '0.80');
  const toggle = h('button', { type: 'submit', class: 'primary', id: 'train-toggle' }, 'Start training');
  const progress = h('progress', { max: 1, value: 0, 'aria-label': 'Training progress' });
  const status = h('p', { class: 'status', id: 'train-status', role: 'status', 'aria-live': 'polite' });

  preset.addEventListener('change', () => {
    const p = PRESETS.find((x) => x.id === preset.value)!;
    steps.input.value = String(p.steps);
    lr.input.value = String(p.options.lr);
  });
  temp.addEventListener('input', () => (tempOut.value = Number(temp.value).toFixed(2)));

  const form = h(
    'form',
    { class: 'card controls', 'aria-label': 'Training controls' },
    h('div', { class: 'field' }, h('label', { for: 'train-preset' }, 'Model'), preset),
    h('div', { class: 'row' }, steps.field, lr.field),
    every.field,
    h('div', { class: 'field' }, h('label', { for: 'train-temp' }, 'Sampling temperature ', tempOut), temp),
    toggle,
    progress,
    status,
  );

  // ---- numbers ----
  const stat = (label: string, key: string) => {
    const dd = h('dd', { 'data-stat': key }, '–');
    return { dd, el: h('div', {}, h('dt', {}, label), dd) };
  };
  const stStep = stat('Step', 'step');
  const stLoss = stat('Loss (smoothed)', 'loss');
  const stUniform = stat('Uniform guess (ln V)', 'uniform');
  const stSpeed = stat('Tokens / s', 'speed');
  const stLr = stat('Learning rate now', 'lr');
  const stTime = stat('Time', 'time');
  const stParams = stat('Parameters', 'params');
  const stVocab = stat('Vocabulary', 'vocab');
  const stats = h(
    'dl',
    { class: 'stats' },
    ...[stStep, stLoss, stUniform, stTime, stSpeed, stLr, stParams, stVocab].map((s) => s.el),
  );

  // ---- chart ----
  const chartBox = h('div', { class: 'chart', id: 'loss-chart' });
  const chartSummary = h('p', { class: 'sr-only', 'aria-live': 'off' });
  const chartCard = h(
    'section',
    { class: 'card chart-card', 'aria-labelledby': 'loss-title' },
    h('h3', { id: 'loss-title' }, 'Training loss'),
    chartBox,
    chartSummary,
    stats,
  );

  // ---- samples ----
  const sampleOut = h('output', { class: 'sample', id: 'sample-text', 'aria-live': 'polite' }, '');
  const sampleStep = h('span', { class: 'muted' });
  const history = h('ol', { class: 'history', reversed: true });
  const prompt = h('input', { id: 'train-prompt', name: 'prompt', type: 'text', value: DEFAULT_PROMPT, autocomplete: 'off' });
  const resample = h('button', { type: 'button', id: 'train-resample' }, 'Sample again');
  const sampleCard = h(
    'section',
    { class: 'card sample-card', 'aria-labelledby': 'sample-title' },
    h('h3', { id: 'sample-title' }, 'What the model writes ', sampleStep),
    sampleOut,
    h('div', { class: 'row prompt-row' }, h('div', { class: 'field grow' }, h('label', { for: 'train-prompt' }, 'Prompt'), prompt), resample),
    h('details', {}, h('summary', {}, 'Earlier samples'), history),
  );

  // ---- training text ----
  const textArea = h('textarea', { id: 'train-text', rows: 12, spellcheck: false });
  textArea.value = text;
  const textCount = h('span', { class: 'muted' });
  const resetText = h('button', { type: 'button' }, 'Use the built-in stories');
  const updateCount = () => (textCount.textContent = `${textArea.value.length.toLocaleString()} characters, ${new Set(textArea.value).size} distinct`);
  textArea.addEventListener('input', () => {
    text = textArea.value;
    updateCount();
  });
  resetText.addEventListener('click', () => {
    text = textArea.value = CORPUS;
    updateCount();
  });
  updateCount();
  const textCard = h(
    'details',
    { class: 'card text-card' },
    h('summary', {}, 'Training text: ', CORPUS_TITLE, ' ', textCount),
    h('label', { for: 'train-text', class: 'sr-only' }, 'Training text'),
    textArea,
    resetText,
  );

  const root = h(
    'section',
    { class: 'lesson train', 'aria-labelledby': 'lesson-title' },
    h('h2', { id: 'lesson-title', tabindex: -1 }, 'Train a tiny model'),
    h(
      'p',
      { class: 'intro' },
      'A decoder-only transformer from the C++ core, compiled to WebAssembly, learns to predict the next character ' +
        'of a few short stories. It runs in a Web Worker, so this page stays responsive. The loss starts near ln V ' +
        '(a uniform guess over the V distinct characters) and falls as the model learns spelling, words and rhythm.',
    ),
    h('div', { class: 'layout' }, form, chartCard, sampleCard),
    textCard,
  );
  container.append(root);

  const chart = new LiveChart(chartBox, {
    xLabel: 'step',
    yLabel: 'loss (nats / char)',
    series: [
      { label: 'loss', color: '--chart-raw', width: 1 },
      { label: 'smoothed', color: '--chart-1', width: 2.5 },
      { label: 'ln V', color: '--chart-ref', width: 1.5, dash: [6, 6] },
    ],
  });

  // ---- rendering from state ----
  const uniform = () => (st.vocabSize > 0 ? Math.log(st.vocabSize) : null);
  const renderStatus = () => {
    root.dataset.status = st.status;
    const busy = st.status === 'training' || st.status === 'stopping';
    toggle.textContent = busy ? (st.status === 'stopping' ? 'Stopping…' : 'Stop') : 'Start training';
    toggle.classList.toggle('danger', busy);
    toggle.disabled = st.status === 'stopping' || (!busy && !sess.canStart);
    for (const el of [preset, steps.input, lr.input, every.input, textArea, resetText]) el.disabled = busy;
    resample.disabled = !sess.canStart || st.paramCount === 0;
    resample.textContent = st.status === 'sampling' ? 'Sampling…' : 'Sample again';
    progress.max = Math.max(st.steps, 1);
    progress.value = st.step;
    const first = st.smoothed[0];
    const last = st.smoothed[st.smoothed.length - 1];
    const msg: Record<typeof st.status, string> = {
      loading: 'Loading the wasm core…',
      ready: 'Ready. Pick a model size and press Start training.',
      training: `Training… step ${st.step} of ${st.steps}`,
      stopping: 'Stopping after the current step…',
      sampling: 'Sampling…',
      done:
        st.losses.length > 0
          ? `${st.stopped ? 'Stopped' : 'Done'} after ${st.step} steps: loss ${first?.toFixed(3)} → ${last?.toFixed(3)}.`
          : 'Ready.',
      error: `Error: ${st.error ?? 'unknown'}`,
    };
    status.textContent = msg[st.status];
    status.classList.toggle('error', st.status === 'error');
  };
  const renderNumbers = () => {
    stStep.dd.textContent = st.steps ? `${st.step} / ${st.steps}` : '–';
    const last = st.smoothed[st.smoothed.length - 1];
    stLoss.dd.textContent = last !== undefined ? last.toFixed(3) : '–';
    stUniform.dd.textContent = uniform()?.toFixed(3) ?? '–';
    stSpeed.dd.textContent = st.tokensPerSec ? formatCount(Math.round(st.tokensPerSec)) : '–';
    stTime.dd.textContent = st.seconds ? `${st.seconds.toFixed(1)} s` : '–';
    stLr.dd.textContent = st.lr ? st.lr.toExponential(2) : '–';
    stParams.dd.textContent = st.paramCount ? formatCount(st.paramCount) : '–';
    stVocab.dd.textContent = st.vocabSize ? String(st.vocabSize) : '–';
    if (last !== undefined) chartSummary.textContent = `Loss ${last.toFixed(3)} at step ${st.step}.`;
  };
  const renderSamples = () => {
    const latest = st.samples[st.samples.length - 1];
    // The prompt is shown marked, then what the model wrote after it.
    if (latest) sampleOut.replaceChildren(h('mark', { class: 'prompt' }, latest.prompt), latest.text);
    else sampleOut.textContent = st.status === 'training' ? 'The first sample appears after a few steps…' : 'Train the model to see its writing here.';
    sampleOut.classList.toggle('placeholder', !latest);
    sampleStep.textContent = latest ? `(after step ${latest.step})` : '';
    history.replaceChildren(
      ...st.samples
        .slice(0, -1)
        .reverse()
        .map((s) =>
          h('li', { value: s.step }, h('span', { class: 'muted' }, `step ${s.step}: `), h('mark', { class: 'prompt' }, s.prompt), s.text),
        ),
    );
  };
  const renderChart = () => {
    const xs = st.losses.map((_, i) => i + 1);
    const u = uniform();
    chart.set(xs, [st.losses, st.smoothed, xs.map(() => u)]);
  };
  // Numbers change every step; text nodes are cheap but layout is not: batch per frame.
  let numbersFrame = 0;
  const scheduleNumbers = () => {
    if (numbersFrame) return;
    numbersFrame = requestAnimationFrame(() => {
      numbersFrame = 0;
      renderNumbers();
      progress.value = st.step;
      if (st.status === 'training') status.textContent = `Training… step ${st.step} of ${st.steps}`;
    });
  };

  const onChange = (c: Change) => {
    switch (c.kind) {
      case 'step':
        chart.push(c.step, [c.loss, c.smoothed, uniform()]);
        scheduleNumbers();
        break;
      case 'sample':
        renderSamples();
        renderStatus();
        break;
      case 'built':
      case 'reset':
        renderChart();
        renderNumbers();
        renderSamples();
        renderStatus();
        break;
      case 'status':
        renderNumbers();
        renderStatus();
        break;
    }
  };
  const unwatch = sess.watch(onChange);
  renderChart();
  renderNumbers();
  renderSamples();
  renderStatus();

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (st.status === 'training') {
      sess.stop();
      return;
    }
    if (!form.reportValidity()) return;
    const p = PRESETS.find((x) => x.id === preset.value)!;
    sess.start({
      text,
      // max_steps: the cosine learning-rate schedule ends with the run.
      model: { ...p.options, lr: Number(lr.input.value), max_steps: Math.round(Number(steps.input.value)) },
      steps: Math.round(Number(steps.input.value)),
      sampleEvery: Math.round(Number(every.input.value)),
      sampleChars: SAMPLE_CHARS,
      temperature: Number(temp.value),
      prompt: prompt.value,
      seed: 1234,
    });
  });
  resample.addEventListener('click', () => sess.resample(prompt.value, SAMPLE_CHARS, Number(temp.value)));

  return () => {
    unwatch();
    cancelAnimationFrame(numbersFrame);
    chart.destroy();
    root.remove();
  };
}

export const trainLesson: Lesson = {
  id: 'train',
  title: 'Train a tiny model',
  summary: 'Train a character-level transformer in your browser and watch the loss fall.',
  mount,
};
