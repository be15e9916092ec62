// Run viewer: drop a native run's metrics.jsonl and see its curves (loss with held-out loss, lr,
// gradient norm, tokens/s) and the per-layer telemetry as a heatmap (layers x logged steps).
// Pure page code: the file is read locally with FileReader, no wasm involved.
// Series keep the file's field names (loss, val_loss, act_rms, ...) in their labels: they are what
// a metrics.jsonl line holds.
import { lessonHeader, type Lesson } from '../lesson';
import { h } from '../../ui/dom';
import { fileDrop } from '../../ui/file_drop';
import { LiveChart } from '../../ui/live_chart';
import '../sft/align.css';  // the styles of the ALIGN-WEB labs
import { tr, trf, type AlignKey } from '../sft/strings';
import { parseMetrics, type RunMetrics } from './parse';

let loaded: { name: string; metrics: RunMetrics } | null = null;
declare global {
  interface Window {
    __runsState?: { name: string; metrics: RunMetrics } | null;
  }
}

type HeatMetric = 'act_rms' | 'act_max' | 'grad_norm';
const METRICS: Record<HeatMetric, AlignKey> = { act_rms: 'runs.m.act_rms', act_max: 'runs.m.act_max', grad_norm: 'runs.m.grad_norm' };

/** Colour of t in [0, 1]: a perceptually ordered dark-blue → yellow ramp (viridis-like). */
function ramp(t: number): string {
  const stops = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
  const x = Math.min(Math.max(t, 0), 1) * (stops.length - 1);
  const i = Math.min(Math.floor(x), stops.length - 2), f = x - i;
  const c = stops[i].map((v, k) => Math.round(v + f * (stops[i + 1][k] - v)));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

function drawHeatmap(canvas: HTMLCanvasElement, m: RunMetrics, metric: HeatMetric, caption: HTMLElement): void {
  const rows = m.telemetry;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const nl = Math.max(0, ...rows.map((r) => r.layers.length));
  const width = Math.max(canvas.parentElement?.clientWidth ?? 600, 200);
  const cellH = 22, left = 60, bottom = 18;
  canvas.width = width;
  canvas.height = nl * cellH + bottom;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  caption.dataset.layers = String(rows.length ? nl : 0);
  if (!rows.length || !nl) {
    caption.textContent = tr('runs.noTelemetry');
    return;
  }
  // log scale: activations and gradient norms span orders of magnitude across layers and time
  const vals = rows.flatMap((r) => r.layers.map((l) => Math.log10(Math.max(l[metric], 1e-12))));
  const lo = Math.min(...vals), hi = Math.max(...vals);
  const cw = (width - left) / rows.length;
  const fg = getComputedStyle(document.documentElement).getPropertyValue('--fg') || '#000';
  ctx.font = '12px system-ui';
  ctx.fillStyle = fg;
  rows.forEach((r, c) => {
    for (const l of r.layers) {
      const v = Math.log10(Math.max(l[metric], 1e-12));
      ctx.fillStyle = ramp(hi > lo ? (v - lo) / (hi - lo) : 0.5);
      ctx.fillRect(left + c * cw, l.layer * cellH, Math.ceil(cw), cellH - 1);
    }
  });
  ctx.fillStyle = fg;
  for (let l = 0; l < nl; l++) ctx.fillText(trf('runs.layer', { l }), 4, l * cellH + 15);
  ctx.fillText(trf('runs.stepAt', { step: rows[0].step }), left, nl * cellH + 14);
  const endLabel = trf('runs.stepAt', { step: rows[rows.length - 1].step });
  ctx.fillText(endLabel, width - ctx.measureText(endLabel).width - 4, nl * cellH + 14);
  caption.textContent = trf('runs.caption', { metric: tr(METRICS[metric]), layers: nl, steps: rows.length, lo: lo.toFixed(2), hi: hi.toFixed(2) });
}

function mount(container: HTMLElement): () => void {
  const drop = fileDrop({
    id: 'runs-drop', inputId: 'runs-file', text: tr('runs.drop'), className: 'dropzone', accept: '.jsonl,.json,.txt,application/json',
    onFiles: (fs) => readFile(fs[0]),
  });
  const status = h('p', { class: 'status', id: 'runs-status', role: 'status', 'aria-live': 'polite' });
  const charts = h('div', { class: 'runs-charts' });
  const metric = h('select', { id: 'runs-metric' }, ...(['act_rms', 'act_max', 'grad_norm'] as const).map((m) => h('option', { value: m }, tr(METRICS[m]))));
  const canvas = h('canvas', { id: 'runs-heatmap', role: 'img', 'aria-label': tr('runs.heat') });
  const caption = h('p', { class: 'muted', id: 'runs-heat-caption' });
  const finalBox = h('pre', { class: 'final-json', id: 'runs-final' });
  const heatCard = h('section', { class: 'card', 'aria-labelledby': 'runs-heat-title' }, h('h3', { id: 'runs-heat-title' }, tr('runs.heat')),
    h('div', { class: 'field inline' }, h('label', { for: 'runs-metric' }, tr('runs.metric')), metric), h('div', { class: 'heat-wrap' }, canvas), caption);
  const finalCard = h('details', { class: 'card' }, h('summary', {}, tr('runs.final')), finalBox);
  const root = h('section', { class: 'lesson align-lab runs', id: 'lesson-runs', 'aria-labelledby': 'runs-title' },
    lessonHeader(tr('runs.title'), tr('runs.intro'), ['docs/training.md'], ['native/pretrain.cpp', 'native/align_cmds.cpp', 'core/train/trainer.h', 'web/src/lessons/runs/parse.ts'], { titleId: 'runs-title' }),
    h('div', { class: 'card' }, drop.zone, drop.input, status), charts, heatCard, finalCard);
  container.append(root);

  let live: LiveChart[] = [];
  const show = () => {
    live.forEach((c) => c.destroy());
    live = [];
    charts.replaceChildren();
    window.__runsState = loaded;
    if (!loaded) return;
    const m = loaded.metrics;
    status.textContent = trf('runs.loaded', { name: loaded.name, lines: m.lines, steps: m.steps.length, evals: m.evals.length, tele: m.telemetry.length }) +
      (m.bad ? ` · ${trf('runs.bad', { n: m.bad })}` : '');
    root.dataset.loaded = String(m.steps.length);
    const panel = (id: string, title: string, ys: Array<{ label: string; color: string; key: string; evalKey?: boolean; dash?: number[] }>) => {
      if (!ys.some((y) => (y.evalKey ? m.evals.length : m.steps.some((s) => y.key in s)))) return;
      const box = h('div', { class: 'chart', id });
      charts.append(h('section', { class: 'card' }, h('h3', {}, title), box));
      const xs = [...new Set([...m.steps.map((s) => s.step), ...m.evals.map((e) => e.step)])].sort((a, b) => a - b);
      const byStep = new Map(m.steps.map((s) => [s.step, s]));
      const evByStep = new Map(m.evals.map((e) => [e.step, e]));
      const c = new LiveChart(box, { xLabel: tr('axisStep'), yLabel: title, height: 220, series: ys.map((y) => ({ label: y.label, color: y.color, width: y.evalKey ? 2.5 : 1.5, dash: y.dash })) });
      c.set(xs, ys.map((y) => xs.map((x) => (y.evalKey ? evByStep.get(x)?.[y.key] : byStep.get(x)?.[y.key]) ?? null)));
      live.push(c);
    };
    panel('runs-loss', tr('runs.loss'), [
      { label: tr('runs.s.loss'), color: '--chart-1', key: 'loss' },
      { label: tr('runs.s.val_loss'), color: '--danger', key: 'val_loss', evalKey: true },
    ]);
    const pref: Record<string, AlignKey> = { accuracy: 'runs.s.accuracy', margin: 'runs.s.margin', chosen: 'runs.s.chosen', rejected: 'runs.s.rejected' };
    const extra = m.stepKeys.filter((k) => k in pref);
    if (extra.length) panel('runs-pref', tr('runs.pref'), extra.map((k, i) => ({ label: tr(pref[k]), color: ['--chart-1', '--danger', '--fg', '--chart-ref'][i], key: k })));
    panel('runs-lr', tr('runs.lr'), [{ label: tr('runs.s.lr'), color: '--chart-1', key: 'lr' }]);
    panel('runs-gn', tr('runs.gn'), [{ label: tr('runs.s.grad_norm'), color: '--chart-1', key: 'grad_norm' }]);
    panel('runs-tps', tr('runs.tps'), [{ label: tr('runs.s.tokens_per_s'), color: '--chart-1', key: 'tokens_per_s' }]);
    drawHeatmap(canvas, m, metric.value as HeatMetric, caption);
    finalBox.textContent = m.final ? JSON.stringify(m.final, null, 2) : '–';
  };
  const load = (name: string, text: string) => {
    loaded = { name, metrics: parseMetrics(text) };
    show();
  };
  function readFile(f: File): void {
    const r = new FileReader();
    r.onload = () => load(f.name, String(r.result));
    r.onerror = () => (status.textContent = `${f.name}: ${r.error?.message ?? tr('runs.unreadable')}`);
    r.readAsText(f);
  }
  metric.addEventListener('change', () => loaded && drawHeatmap(canvas, loaded.metrics, metric.value as HeatMetric, caption));
  const onResize = () => loaded && drawHeatmap(canvas, loaded.metrics, metric.value as HeatMetric, caption);
  window.addEventListener('resize', onResize);
  show();
  return () => {
    window.removeEventListener('resize', onResize);
    live.forEach((c) => c.destroy());
    root.remove();
  };
}

export const runsLesson: Lesson = {
  id: 'runs',
  order: 80,
  get title() {
    return tr('runs.title');
  },
  get summary() {
    return tr('runs.summary');
  },
  mount: (c) => mount(c),
};
