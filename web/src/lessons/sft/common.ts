// Pieces the SFT, DPO and Paged KV labs share: number fields, a stats list, and the "base model"
// card (use the current model, or pretrain a tiny one). The heading with the links to the theory
// and the code is lessonHeader() of ../lesson.ts, as in every lesson.
import type { AppContext } from '../lesson';
import type { Running } from '../../core/client';
import type { Payload, Progress } from '../../core/protocol';
import { h, formatCount } from '../../ui/dom';
import { tr, trf } from './strings';
import type { BaseStatus } from './align_types';
import './align.css';

/** The answers request of a lab while it runs (module-level in each lab, so it outlives a remount). */
export interface AnswersSlot<K extends 'sft.answers' | 'dpo.answers'> {
  run: Running<K> | null;
}

/** The SFT and DPO labs' answers button: a click streams greedy answers to the first held-out
 *  prompts into state.answers, one per progress message; while they come the same button stops
 *  them (the labs' renderStatus reads slot.run to relabel it). */
export function wireAnswersButton<K extends 'sft.answers' | 'dpo.answers'>(
  ctx: AppContext, button: HTMLElement, type: K, payload: Payload<K>, slot: AnswersSlot<K>,
  state: { answers: Progress<K>[]; message: string }, changed: () => void,
): void {
  button.addEventListener('click', async () => {
    if (slot.run) {
      slot.run.stop();
      return;
    }
    state.answers = [];
    const run = ctx.core.request(type, payload, (a) => {
      state.answers.push(a);
      changed();
    });
    slot.run = run;
    changed();
    try {
      const r = (await run.result) as { answers: Progress<K>[]; stopped: boolean };
      state.answers = r.answers;
      if (r.stopped) state.message = trf('answersStopped', { n: r.answers.length });
    } catch (e) {
      state.message = (e as Error).message;
    } finally {
      slot.run = null;
      changed();
    }
  });
}

export function numberField(label: string, id: string, attrs: Record<string, string | number>) {
  const input = h('input', { id, name: id, type: 'number', inputmode: 'decimal', required: true, ...attrs });
  return { input, field: h('div', { class: 'field' }, h('label', { for: id }, label), input) };
}

export function statList(items: Array<[string, string]>) {
  const dds = new Map<string, HTMLElement>();
  const dl = h('dl', { class: 'stats' });
  for (const [key, label] of items) {
    const dd = h('dd', { 'data-stat': key }, '–');
    dds.set(key, dd);
    dl.append(h('div', {}, h('dt', {}, label), dd));
  }
  return { dl, set: (key: string, v: string) => ((dds.get(key) as HTMLElement).textContent = v) };
}

/** The base-model card. onChange runs when the base becomes (or stops being) chat-ready. */
export function baseCard(ctx: AppContext, idPrefix: string, onChange: (ready: boolean) => void) {
  const status = h('p', { class: 'status', role: 'status', 'aria-live': 'polite', id: `${idPrefix}-base-status` });
  const button = h('button', { type: 'button', id: `${idPrefix}-base-button` }, tr('base.button'));
  const progress = h('progress', { max: 1, value: 0, 'aria-label': tr('base.title'), hidden: true });
  const card = h(
    'section',
    { class: 'card base-card', 'aria-labelledby': `${idPrefix}-base-title` },
    h('h3', { id: `${idPrefix}-base-title` }, tr('base.title')),
    status,
    h('details', {}, h('summary', {}, tr('base.how')), h('p', { class: 'muted' }, tr('base.explain'))),
    h('div', { class: 'row' }, button, progress),
  );
  let ready = false;
  let running: { stop(): void } | null = null;

  const show = (s: BaseStatus) => {
    ready = s.chat_ready;
    card.dataset.ready = String(ready);
    status.classList.remove('error');
    const cfg = s.config as { dim?: number; n_layers?: number } | undefined;
    status.textContent = ready
      ? trf('base.readyLine', { params: formatCount(s.params ?? 0), dim: String(cfg?.dim ?? '?'), layers: String(cfg?.n_layers ?? '?') })
      : tr('base.none');
    onChange(ready);
  };
  const refresh = async () => {
    try {
      await ctx.core.whenReady();
      show(await ctx.core.request('align.status', {}).result);
    } catch (e) {
      status.textContent = (e as Error).message;
      status.classList.add('error');
    }
  };
  button.addEventListener('click', async () => {
    if (running) {
      running.stop();
      return;
    }
    const steps = 250;
    progress.hidden = false;
    progress.max = steps;
    button.textContent = tr('stop');
    button.classList.add('danger');
    const run = ctx.core.request('align.base', { steps, seed: 1 }, (p) => {
      progress.value = p.step;
      status.textContent = trf('base.trainingLine', { step: p.step, steps: p.steps, loss: p.loss.toFixed(3) });
    });
    running = run;
    try {
      const r = await run.result;
      await refresh();
      status.textContent = trf(r.stopped ? 'base.stoppedLine' : 'base.doneLine', { params: formatCount(r.params), vocab: r.vocab, loss: r.loss.toFixed(3), steps: r.steps });
    } catch (e) {
      status.textContent = (e as Error).message;
      status.classList.add('error');
    } finally {
      running = null;
      progress.hidden = true;
      button.textContent = tr('base.button');
      button.classList.remove('danger');
      onChange(ready);  // the lab's start button waits for busy() to end
    }
  });
  const unsub = ctx.core.onSession(() => void refresh());
  void refresh();
  return { card, isReady: () => ready, dispose: unsub, busy: () => running !== null };
}
