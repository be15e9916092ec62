// DPO lab: preference optimisation of the current model against a frozen copy of itself, with the
// chosen / rejected implicit rewards, their margin and the preference accuracy (training batches
// and held-out pairs) plotted live, and greedy answers of the reference vs the policy (one per
// worker slice, so their Stop lands between two answers).
import { lessonHeader, type AppContext, type Lesson } from '../lesson';
import { h, formatCount } from '../../ui/dom';
import { LiveChart } from '../../ui/live_chart';
import type { DpoAnswer, DpoEval, PolicyInfo } from '../sft/align_types';
import { baseCard, numberField, statList, wireAnswersButton, type AnswersSlot } from '../sft/common';
import { tr, trf, type AlignKey } from '../sft/strings';

interface DpoState {
  status: 'idle' | 'running' | 'done' | 'error';
  message: string;
  steps: number[];
  loss: number[];
  chosen: number[];
  rejected: number[];
  margin: number[];
  accuracy: number[];
  evals: DpoEval[];
  info: PolicyInfo | null;
  answers: DpoAnswer[];
}
const state: DpoState = { status: 'idle', message: '', steps: [], loss: [], chosen: [], rejected: [], margin: [], accuracy: [], evals: [], info: null, answers: [] };
declare global {
  interface Window {
    __dpoState?: DpoState;
  }
}
window.__dpoState = state;
let running: { stop(): void } | null = null;
const answering: AnswersSlot<'dpo.answers'> = { run: null };
const listeners = new Set<() => void>();
const changed = () => listeners.forEach((f) => f());

/** Why the rejected reply is worse (core/data/gen_preference.cpp), in words. */
const REASONS: Record<string, AlignKey> = {
  shuffled_sentences: 'dpo.reason.shuffled_sentences', repetitive: 'dpo.reason.repetitive', off_topic: 'dpo.reason.off_topic',
  unfinished: 'dpo.reason.unfinished', wrong_answer: 'dpo.reason.wrong_answer', ignores_instruction: 'dpo.reason.ignores_instruction',
};
const reasonText = (r: string) => (REASONS[r] ? tr(REASONS[r]) : r);

function mount(container: HTMLElement, ctx: AppContext): () => void {
  const method = h('select', { id: 'dpo-method', name: 'method' }, h('option', { value: 'full' }, tr('full')), h('option', { value: 'lora' }, tr('lora')));
  const steps = numberField(tr('steps'), 'dpo-steps', { min: 1, max: 5000, step: 1, value: 120 });
  const lr = numberField(tr('lr'), 'dpo-lr', { min: 0.000001, max: 1, step: 'any', value: 0.0005 });
  const beta = numberField(tr('dpo.beta'), 'dpo-beta', { min: 0.001, max: 10, step: 'any', value: 0.1 });
  const batch = numberField(tr('batch'), 'dpo-batch', { min: 1, max: 64, step: 1, value: 8 });
  // LoRA's size and scale, as in the SFT lab (shown only for the LoRA method)
  const rank = numberField(tr('rank'), 'dpo-rank', { min: 1, max: 64, step: 1, value: 8 });
  const alpha = numberField(tr('alpha'), 'dpo-alpha', { min: 0.1, max: 256, step: 'any', value: 16 });
  const loraBox = h('fieldset', { class: 'lora-box', hidden: true }, h('legend', {}, tr('lora')), h('div', { class: 'row' }, rank.field, alpha.field));
  const toggle = h('button', { type: 'submit', class: 'primary', id: 'dpo-toggle' }, tr('dpo.start'));
  const progress = h('progress', { max: 1, value: 0, 'aria-label': tr('dpo.title') });
  const status = h('p', { class: 'status', id: 'dpo-status', role: 'status', 'aria-live': 'polite' });
  const form = h('form', { class: 'card controls', 'aria-label': tr('dpo.title') },
    h('div', { class: 'field' }, h('label', { for: 'dpo-method' }, tr('method')), method), loraBox,
    h('div', { class: 'row' }, steps.field, lr.field), h('div', { class: 'row' }, beta.field, batch.field), toggle, progress, status);
  method.addEventListener('change', () => {
    loraBox.hidden = method.value !== 'lora';
    lr.input.value = method.value === 'lora' ? '0.002' : '0.0005';
  });
  const base = baseCard(ctx, 'dpo', () => renderStatus());

  const marginBox = h('div', { class: 'chart', id: 'dpo-margin-chart' });
  const accBox = h('div', { class: 'chart', id: 'dpo-acc-chart' });
  const stats = statList([['step', tr('step')], ['loss', tr('loss')], ['margin', tr('dpo.margin')], ['val', tr('dpo.valAcc')], ['trainable', tr('trainable')]]);
  const marginCard = h('section', { class: 'card chart-card', 'aria-labelledby': 'dpo-m-title' }, h('h3', { id: 'dpo-m-title' }, tr('dpo.chartMargin')), marginBox, stats.dl);
  const accCard = h('section', { class: 'card sample-card', 'aria-labelledby': 'dpo-a-title' }, h('h3', { id: 'dpo-a-title' }, tr('dpo.chartAcc')), accBox);

  const answersBtn = h('button', { type: 'button', id: 'dpo-answers-btn' }, tr('answers.button'));
  const commitBtn = h('button', { type: 'button', id: 'dpo-commit' }, tr('commit'));
  const answersBox = h('div', { class: 'answers', id: 'dpo-answers' });
  const answersCard = h('section', { class: 'card', 'aria-labelledby': 'dpo-ans-title' }, h('h3', { id: 'dpo-ans-title' }, tr('answers')),
    h('div', { class: 'row' }, answersBtn, commitBtn), answersBox);
  const renderAnswers = () =>
    answersBox.replaceChildren(...state.answers.map((a) =>
      h('article', { class: 'answer' },
        h('p', { class: 'q' }, h('strong', {}, `${tr('prompt')}: `), a.prompt, ' ', h('span', { class: 'badge', 'data-reason': a.reason }, reasonText(a.reason))),
        h('p', { class: 'muted' }, h('strong', {}, `${tr('dpo.chosenReply')}: `), a.chosen),
        h('p', { class: 'muted' }, h('strong', {}, `${tr('dpo.rejectedReply')}: `), a.rejected),
        h('p', {}, h('strong', {}, `${tr('before')}: `), h('span', { class: 'before' }, a.before || '∅')),
        h('p', {}, h('strong', {}, `${tr('after')}: `), h('span', { class: 'after' }, a.after || '∅')))));
  wireAnswersButton(ctx, answersBtn, 'dpo.answers', { k: 4, maxNew: 40 }, answering, state, changed);
  commitBtn.addEventListener('click', async () => {
    try {
      await ctx.core.request('dpo.commit', {}).result;
      state.message = tr('committed');  // through state: the base card's refresh redraws the status
    } catch (e) {
      state.message = (e as Error).message;
    } finally {
      changed();
    }
  });

  const root = h('section', { class: 'lesson align-lab', id: 'lesson-dpo', 'aria-labelledby': 'dpo-title' },
    lessonHeader(tr('dpo.title'), tr('dpo.intro'), ['docs/dpo.md'], ['core/align/preference.h', 'core/data/gen_preference.h', 'wasm/align_bindings.cpp'], { titleId: 'dpo-title' }),
    base.card,
    h('div', { class: 'layout' }, form, marginCard, accCard),
    answersCard);
  container.append(root);

  const marginChart = new LiveChart(marginBox, {
    xLabel: tr('axisStep'), yLabel: tr('dpo.axisReward'),
    series: [{ label: tr('dpo.chosen'), color: '--chart-1', width: 1.5 }, { label: tr('dpo.rejected'), color: '--danger', width: 1.5 },
      { label: tr('dpo.margin'), color: '--fg', width: 2.5 }, { label: tr('loss'), color: '--chart-ref', dash: [6, 6] }],
  });
  const accChart = new LiveChart(accBox, {
    xLabel: tr('axisStep'), yLabel: tr('dpo.axisAcc'), height: 220,
    series: [{ label: tr('dpo.trainAcc'), color: '--chart-raw', width: 1 }, { label: tr('dpo.valAcc'), color: '--chart-1', width: 2.5 }],
  });
  const renderCharts = () => {
    const xs = [0, ...state.steps];
    const ev = new Map(state.evals.map((e) => [e.step, e.accuracy]));
    marginChart.set(xs, [[0, ...state.chosen], [0, ...state.rejected], [0, ...state.margin], [Math.LN2, ...state.loss]]);
    accChart.set(xs, [[null, ...smooth(state.accuracy)], xs.map((x) => ev.get(x) ?? null)]);
  };
  const renderStatus = () => {
    const busy = state.status === 'running';
    root.dataset.status = state.status;
    toggle.textContent = busy ? tr('stop') : tr('dpo.start');
    toggle.classList.toggle('danger', busy);
    // a new run would delete the trainer the answers come from
    toggle.disabled = !busy && (!base.isReady() || base.busy() || answering.run !== null);
    for (const el of [method, steps.input, lr.input, beta.input, batch.input, rank.input, alpha.input]) el.disabled = busy;
    answersBtn.textContent = answering.run ? tr('stop') : tr('answers.button');
    answersBtn.classList.toggle('danger', answering.run !== null);
    answersBtn.disabled = answering.run === null && (busy || state.info === null);
    commitBtn.disabled = busy || answering.run !== null || state.info === null;
    progress.max = Math.max(Number(steps.input.value), 1);
    progress.value = state.steps.length ? state.steps[state.steps.length - 1] : 0;
    status.textContent = state.message || (base.isReady() ? tr('status.ready') : tr('base.none'));
    status.classList.toggle('error', state.status === 'error');
    const k = state.steps.length - 1;
    stats.set('step', k >= 0 ? String(state.steps[k]) : '–');
    stats.set('loss', k >= 0 ? state.loss[k].toFixed(3) : '–');
    stats.set('margin', k >= 0 ? state.margin[k].toFixed(3) : '–');
    const e0 = state.evals[0], e1 = state.evals[state.evals.length - 1];
    stats.set('val', e1 ? `${(100 * e0.accuracy).toFixed(0)}% → ${(100 * e1.accuracy).toFixed(0)}%` : '–');
    stats.set('trainable', state.info ? formatCount(state.info.trainable_params) : '–');
  };
  let frame = 0;
  const redraw = () => {
    if (frame) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      renderCharts();
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
    Object.assign(state, { status: 'running', message: '', steps: [], loss: [], chosen: [], rejected: [], margin: [], accuracy: [], evals: [], info: null, answers: [] });
    renderAnswers();
    changed();
    const run = ctx.core.request('dpo.start', {
      options: {
        lora: method.value === 'lora', lora_rank: Number(rank.input.value), lora_alpha: Number(alpha.input.value),
        lora_targets: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'],
        lr: Number(lr.input.value), min_lr: Number(lr.input.value) / 10, beta: Number(beta.input.value),
        batch_size: Number(batch.input.value), seq_len: 128, n_train: 1000, n_eval: 64, warmup_steps: 5, seed: 1,
      },
      steps: n, evalEvery: Math.max(5, Math.round(n / 12)),
    }, (p) => {
      if (p.type === 'info') {
        state.info = p.info;
        state.evals.push(p.eval);
      } else if (p.type === 'step') {
        const s = p.step;
        state.steps.push(s.step);
        state.loss.push(s.loss);
        state.chosen.push(s.chosen);
        state.rejected.push(s.rejected);
        state.margin.push(s.margin);
        state.accuracy.push(s.accuracy);
        state.message = trf('dpo.runningLine', { step: s.step, steps: n });
      } else {
        state.evals.push(p.eval);
      }
      changed();
    });
    running = run;
    try {
      const r = await run.result;
      state.status = 'done';
      state.message = trf(r.stopped ? 'dpo.stoppedLine' : 'dpo.doneLine', { from: (100 * state.evals[0].accuracy).toFixed(1), to: (100 * r.eval.accuracy).toFixed(1), pairs: r.eval.n, steps: r.steps });
    } catch (err) {
      state.status = 'error';
      state.message = (err as Error).message;
    } finally {
      running = null;
      changed();
    }
  });

  renderAnswers();
  renderCharts();
  renderStatus();
  return () => {
    listeners.delete(redraw);
    cancelAnimationFrame(frame);
    base.dispose();
    marginChart.destroy();
    accChart.destroy();
    root.remove();
  };
}

/** Running mean over the last 10 batches: one batch's accuracy is 8 coin flips. */
function smooth(xs: number[]): number[] {
  const out: number[] = [];
  let sum = 0;
  xs.forEach((x, i) => {
    sum += x - (i >= 10 ? xs[i - 10] : 0);
    out.push(sum / Math.min(i + 1, 10));
  });
  return out;
}

export const dpoLesson: Lesson = {
  id: 'dpo',
  order: 60,
  get title() {
    return tr('dpo.title').split(':')[0].split('：')[0];
  },
  get summary() {
    return tr('dpo.summary');
  },
  mount,
};
