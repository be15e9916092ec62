// SFT lab: fine-tune the current model on generated chats (full or LoRA), see the assistant-only
// loss mask over a held-out chat, the train / held-out loss, and greedy answers before vs after.
// The run lives in the worker (sft/worker_handlers.ts); this view keeps its numbers in `state`
// so switching lessons and back redraws everything. The answers come one per worker slice, so
// their Stop lands between two answers.
import { lessonHeader, type AppContext, type Lesson } from '../lesson';
import { h, formatCount } from '../../ui/dom';
import { LiveChart } from '../../ui/live_chart';
import type { MaskView, PolicyInfo, SftAnswer } from './align_types';
import { baseCard, numberField, statList, wireAnswersButton, type AnswersSlot } from './common';
import { tr, trf } from './strings';

interface SftState {
  status: 'idle' | 'running' | 'done' | 'error';
  message: string;
  steps: number[];
  losses: number[];
  evalSteps: number[];
  evalLosses: number[];
  baseLoss: number | null;
  info: PolicyInfo | null;
  mask: MaskView | null;
  answers: SftAnswer[];
  committed: boolean;
}
const state: SftState = {
  status: 'idle', message: '', steps: [], losses: [], evalSteps: [], evalLosses: [], baseLoss: null, info: null, mask: null,
  answers: [], committed: false,
};
declare global {
  interface Window {
    __sftState?: SftState;
  }
}
window.__sftState = state;

let running: { stop(): void } | null = null;
const answering: AnswersSlot<'sft.answers'> = { run: null };
const listeners = new Set<() => void>();
const changed = () => listeners.forEach((f) => f());

export function renderMask(box: HTMLElement, m: MaskView | null): void {
  box.replaceChildren();
  if (!m) return;
  m.tokens.forEach((t, i) => {
    // newlines are shown as ↵ so every token keeps a visible box
    const text = t.replace(/\n/g, '↵\n');
    box.append(h('span', { class: m.mask[i] ? 'tok scored' : 'tok', title: `id ${m.ids[i]}${m.mask[i] ? ` · ${tr('sft.scored')}` : ''}`, 'data-mask': m.mask[i] }, text));
  });
}

function mount(container: HTMLElement, ctx: AppContext): () => void {
  // ---- controls ----
  const method = h('select', { id: 'sft-method', name: 'method' }, h('option', { value: 'lora' }, tr('lora')), h('option', { value: 'full' }, tr('full')));
  const steps = numberField(tr('steps'), 'sft-steps', { min: 1, max: 5000, step: 1, value: 150 });
  const lr = numberField(tr('lr'), 'sft-lr', { min: 0.00001, max: 1, step: 'any', value: 0.003 });
  const batch = numberField(tr('batch'), 'sft-batch', { min: 1, max: 64, step: 1, value: 8 });
  const rank = numberField(tr('rank'), 'sft-rank', { min: 1, max: 64, step: 1, value: 8 });
  const alpha = numberField(tr('alpha'), 'sft-alpha', { min: 0.1, max: 256, step: 'any', value: 16 });
  const targets = h('input', { id: 'sft-targets', name: 'targets', type: 'text', value: 'q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj', autocomplete: 'off' });
  const loraBox = h('fieldset', { class: 'lora-box' }, h('legend', {}, tr('lora')), h('div', { class: 'row' }, rank.field, alpha.field),
    h('div', { class: 'field' }, h('label', { for: 'sft-targets' }, tr('targets')), targets));
  const toggle = h('button', { type: 'submit', class: 'primary', id: 'sft-toggle' }, tr('sft.start'));
  const progress = h('progress', { max: 1, value: 0, 'aria-label': tr('sft.chart') });
  const status = h('p', { class: 'status', id: 'sft-status', role: 'status', 'aria-live': 'polite' });
  const form = h('form', { class: 'card controls', 'aria-label': tr('sft.title') },
    h('div', { class: 'field' }, h('label', { for: 'sft-method' }, tr('method')), method), loraBox,
    h('div', { class: 'row' }, steps.field, lr.field), batch.field, toggle, progress, status);
  method.addEventListener('change', () => {
    loraBox.hidden = method.value !== 'lora';
    lr.input.value = method.value === 'lora' ? '0.003' : '0.001';
  });

  const base = baseCard(ctx, 'sft', () => renderStatus());

  // ---- chart + numbers ----
  const chartBox = h('div', { class: 'chart', id: 'sft-chart' });
  const stats = statList([['step', tr('step')], ['loss', tr('sft.train')], ['val', tr('sft.val')], ['trainable', tr('trainable')]]);
  const chartCard = h('section', { class: 'card chart-card', 'aria-labelledby': 'sft-chart-title' }, h('h3', { id: 'sft-chart-title' }, tr('sft.chart')), chartBox, stats.dl);

  // ---- mask ----
  const maskBox = h('div', { class: 'mask-view', id: 'sft-mask', 'aria-label': tr('sft.mask') });
  const maskIndex = h('input', { id: 'sft-mask-index', type: 'number', min: 0, max: 50, step: 1, value: 0 });
  const maskCard = h('section', { class: 'card sample-card', 'aria-labelledby': 'sft-mask-title' }, h('h3', { id: 'sft-mask-title' }, tr('sft.mask')),
    h('p', { class: 'muted' }, tr('sft.maskHelp')),
    h('div', { class: 'field inline' }, h('label', { for: 'sft-mask-index' }, tr('sft.maskExample')), maskIndex), maskBox);
  maskIndex.addEventListener('change', async () => {
    try {
      state.mask = await ctx.core.request('sft.mask', { index: Number(maskIndex.value) }).result;
      renderMask(maskBox, state.mask);
    } catch (e) {
      status.textContent = (e as Error).message;
    }
  });

  // ---- answers ----
  const answersBtn = h('button', { type: 'button', id: 'sft-answers-btn' }, tr('answers.button'));
  const commitBtn = h('button', { type: 'button', id: 'sft-commit' }, tr('commit'));
  const answersBox = h('div', { class: 'answers', id: 'sft-answers' });
  const answersCard = h('section', { class: 'card', 'aria-labelledby': 'sft-answers-title' }, h('h3', { id: 'sft-answers-title' }, tr('answers')),
    h('div', { class: 'row' }, answersBtn, commitBtn), answersBox);
  const renderAnswers = () => {
    answersBox.replaceChildren(...state.answers.map((a) =>
      h('article', { class: 'answer' + (a.correct ? ' correct' : '') },
        h('p', { class: 'q' }, h('strong', {}, `${tr('prompt')}: `), a.prompt),
        h('p', {}, h('strong', {}, `${tr('before')}: `), h('span', { class: 'before' }, a.before || '∅')),
        h('p', {}, h('strong', {}, `${tr('after')}: `), h('span', { class: 'after' }, a.after || '∅'), a.correct ? ' ✓' : ''),
        h('p', { class: 'muted' }, `${tr('sft.reference')}: ${a.reference}`))));
  };
  wireAnswersButton(ctx, answersBtn, 'sft.answers', { k: 6, maxNew: 32 }, answering, state, changed);
  commitBtn.addEventListener('click', async () => {
    try {
      await ctx.core.request('sft.commit', {}).result;
      state.committed = true;
      state.message = tr('committed');  // through state: the base card's refresh redraws the status
    } catch (e) {
      state.message = (e as Error).message;
    } finally {
      changed();
    }
  });

  const root = h('section', { class: 'lesson align-lab', id: 'lesson-sft', 'aria-labelledby': 'sft-title' },
    lessonHeader(tr('sft.title'), tr('sft.intro'), ['docs/sft.md', 'docs/lora.md'], ['core/align/sft.h', 'core/align/lora.h', 'wasm/align_bindings.cpp'], { titleId: 'sft-title' }),
    base.card,
    h('div', { class: 'layout' }, form, chartCard, maskCard),
    answersCard);
  container.append(root);

  const chart = new LiveChart(chartBox, {
    xLabel: tr('axisStep'), yLabel: tr('sft.axisLoss'),
    series: [{ label: tr('sft.train'), color: '--chart-1', width: 1.5 }, { label: tr('sft.val'), color: '--danger', width: 2.5 }, { label: tr('sft.base'), color: '--chart-ref', dash: [6, 6] }],
  });
  const renderChart = () => {
    // held-out points sit on their step; the others are gaps
    // the held-out loss is measured every few steps: drawn as a step line holding its last value
    const val = new Map(state.evalSteps.map((s, i) => [s, state.evalLosses[i]]));
    const xs = [0, ...state.steps];
    let held = state.baseLoss;
    const valLine = xs.map((x) => (held = val.get(x) ?? held));
    chart.set(xs, [[null, ...state.losses], valLine, xs.map(() => state.baseLoss)]);
  };
  const renderStatus = () => {
    const busy = state.status === 'running';
    root.dataset.status = state.status;
    toggle.textContent = busy ? tr('stop') : tr('sft.start');
    toggle.classList.toggle('danger', busy);
    // a new run would delete the trainer the answers come from
    toggle.disabled = !busy && (!base.isReady() || base.busy() || answering.run !== null);
    for (const el of [method, steps.input, lr.input, batch.input, rank.input, alpha.input, targets]) el.disabled = busy;
    answersBtn.textContent = answering.run ? tr('stop') : tr('answers.button');
    answersBtn.classList.toggle('danger', answering.run !== null);
    answersBtn.disabled = answering.run === null && (busy || state.info === null);
    commitBtn.disabled = busy || answering.run !== null || state.info === null;
    progress.max = Math.max(Number(steps.input.value), 1);
    progress.value = state.steps.length ? state.steps[state.steps.length - 1] : 0;
    status.textContent = state.message || (base.isReady() ? tr('status.ready') : tr('base.none'));
    status.classList.toggle('error', state.status === 'error');
    const last = state.losses[state.losses.length - 1];
    stats.set('step', state.steps.length ? String(state.steps[state.steps.length - 1]) : '–');
    stats.set('loss', last !== undefined ? last.toFixed(3) : '–');
    const v = state.evalLosses[state.evalLosses.length - 1];
    stats.set('val', v !== undefined ? `${state.baseLoss?.toFixed(3)} → ${v.toFixed(3)}` : state.baseLoss?.toFixed(3) ?? '–');
    stats.set('trainable', state.info ? `${formatCount(state.info.trainable_params)} / ${formatCount(state.info.base_params)}` : '–');
  };
  let frame = 0;
  const redraw = () => {
    if (frame) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      renderChart();
      renderStatus();
      if (answersBox.childElementCount !== state.answers.length) renderAnswers();
    });
  };
  listeners.add(redraw);

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (running) {
      running.stop();
      return;
    }
    if (!form.reportValidity()) return;
    const n = Math.round(Number(steps.input.value));
    const lora = method.value === 'lora';
    Object.assign(state, { status: 'running', message: '', steps: [], losses: [], evalSteps: [], evalLosses: [], baseLoss: null, info: null, answers: [], committed: false });
    renderAnswers();
    changed();
    const run = ctx.core.request('sft.start', {
      options: {
        lora, lora_rank: Number(rank.input.value), lora_alpha: Number(alpha.input.value),
        lora_targets: targets.value.split(',').map((s) => s.trim()).filter(Boolean),
        lr: Number(lr.input.value), min_lr: Number(lr.input.value) / 10, batch_size: Number(batch.input.value),
        seq_len: 128, n_train: 2000, n_eval: 48, warmup_steps: 10, seed: 1,
      },
      steps: n, evalEvery: Math.max(10, Math.round(n / 10)), maskExample: Number(maskIndex.value),
    }, (p) => {
      if (p.type === 'info') {
        state.info = p.info;
        state.mask = p.mask;
        state.baseLoss = p.baseLoss;
        renderMask(maskBox, state.mask);
      } else if (p.type === 'step') {
        state.steps.push(p.step.step);
        state.losses.push(p.step.loss);
        state.message = trf('sft.runningLine', { step: p.step.step, steps: n });
      } else {
        state.evalSteps.push(p.step);
        state.evalLosses.push(p.loss);
      }
      changed();
    });
    running = run;
    try {
      const r = await run.result;
      state.status = 'done';
      const v = state.evalLosses[state.evalLosses.length - 1];
      state.message = trf(r.stopped ? 'sft.stoppedLine' : 'sft.doneLine', { from: state.baseLoss?.toFixed(3) ?? '–', to: v?.toFixed(3) ?? '–', steps: r.steps });
    } catch (err) {
      state.status = 'error';
      state.message = (err as Error).message;
    } finally {
      running = null;
      changed();
    }
  });

  loraBox.hidden = method.value !== 'lora';
  renderMask(maskBox, state.mask);
  renderAnswers();
  renderChart();
  renderStatus();
  return () => {
    listeners.delete(redraw);
    cancelAnimationFrame(frame);
    base.dispose();
    chart.destroy();
    root.remove();
  };
}

export const sftLesson: Lesson = {
  id: 'sft',
  order: 50,
  get title() {
    return tr('sft.title').split(':')[0].split('：')[0];
  },
  get summary() {
    return tr('sft.summary');
  },
  mount,
};
