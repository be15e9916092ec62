// Paged KV lab: the engine's block pool drawn as a grid (fill = slots written, number = ref count,
// colour = owning request, stripes = shared), every sequence's block table, and the allocation /
// sharing / copy-on-write / free events of each engine step, one step at a time or played.
import { lessonHeader, type AppContext, type Lesson } from '../lesson';
import { h } from '../../ui/dom';
import type { MemEvent, PagedStep, PoolSnapshot, RequestSpec, SeqView } from '../sft/align_types';
import { numberField, statList } from '../sft/common';
import { tr, trf, type AlignKey } from '../sft/strings';

interface PagedState {
  snapshot: PoolSnapshot | null;
  events: MemEvent[];
  history: number;
  playing: boolean;
  message: string;
}
const state: PagedState = { snapshot: null, events: [], history: 0, playing: false, message: '' };
declare global {
  interface Window {
    __pagedState?: PagedState;
  }
}
window.__pagedState = state;

const DEMO: RequestSpec[] = [
  { prompt: 'Once upon a time, there was a little girl named Lily.', n: 1, temperature: 0, maxTokens: 14, seed: 1 },
  // the same opening: its full prompt blocks are found in the prefix cache and shared
  { prompt: 'Once upon a time, there was a little girl named Lily. She', n: 1, temperature: 0, maxTokens: 10, seed: 2 },
  // three samples of one prompt share its blocks; the first divergent write copies the last one
  { prompt: 'Tom had a red ball.', n: 3, temperature: 1, maxTokens: 12, seed: 3 },
];

const hue = (request: number) => (request * 67) % 360;

/** "req 2.1": request 2, sample 1 */
const seqName = (request: number, index: number) => trf('paged.seq', { request, index });

function describeEvent(e: MemEvent): string {
  const v = { block: e.block, who: e.request !== undefined ? seqName(e.request, e.index ?? 0) : '', logical: e.logical ?? '', from: e.from ?? '', ref: e.ref ?? '' };
  switch (e.kind) {
    case 'alloc': return trf('paged.ev.alloc', v);
    case 'share': return trf(e.revived ? 'paged.ev.revive' : 'paged.ev.share', v);
    case 'cow': return trf('paged.ev.cow', v);
    case 'release': return trf('paged.ev.release', v);
    case 'free': return trf('paged.ev.free', v);
  }
}

const STATES: Record<SeqView['state'], AlignKey> = { waiting: 'paged.state.waiting', running: 'paged.state.running', finished: 'paged.state.finished' };
const REASONS: Record<string, AlignKey> = { stop: 'paged.reason.stop', length: 'paged.reason.length', abort: 'paged.reason.abort' };

/** "req 0.1 · finished (stop token) · 23 tokens" */
function describeSeq(q: SeqView): string {
  const parts = [seqName(q.request, q.index), STATES[q.state] ? tr(STATES[q.state]) : q.state];
  let head = parts.join(' · ');
  if (q.reason) head += ` (${REASONS[q.reason] ? tr(REASONS[q.reason]) : q.reason})`;
  if (q.length) head += ` · ${trf('paged.seqTokens', { n: q.length })}`;
  return head;
}

function mount(container: HTMLElement, ctx: AppContext): () => void {
  const blockSize = numberField(tr('paged.blockSize'), 'paged-bs', { min: 1, max: 64, step: 1, value: 4 });
  const numBlocks = numberField(tr('paged.numBlocks'), 'paged-nb', { min: 4, max: 512, step: 1, value: 48 });
  const sharing = h('input', { id: 'paged-sharing', type: 'checkbox', checked: true });
  const reset = h('button', { type: 'button', id: 'paged-reset' }, tr('paged.reset'));
  const demo = h('button', { type: 'button', id: 'paged-demo' }, tr('paged.addDemo'));
  const prompt = h('input', { id: 'paged-prompt', type: 'text', value: 'The cat sat on the mat.', autocomplete: 'off' });
  const nSamples = numberField(tr('paged.samples'), 'paged-n', { min: 1, max: 8, step: 1, value: 2 });
  const maxTok = numberField(tr('paged.maxTokens'), 'paged-max', { min: 1, max: 64, step: 1, value: 10 });
  const temp = numberField(tr('paged.temp'), 'paged-temp', { min: 0, max: 2, step: 'any', value: 1 });
  const add = h('button', { type: 'button', id: 'paged-add' }, tr('paged.add'));
  const stepBtn = h('button', { type: 'button', class: 'primary', id: 'paged-step' }, tr('paged.step'));
  const playBtn = h('button', { type: 'button', id: 'paged-play' }, tr('paged.play'));
  const status = h('p', { class: 'status', id: 'paged-status', role: 'status', 'aria-live': 'polite' });
  const controls = h('section', { class: 'card controls', 'aria-label': tr('paged.title') },
    h('div', { class: 'row' }, blockSize.field, numBlocks.field),
    h('div', { class: 'field inline' }, sharing, h('label', { for: 'paged-sharing' }, tr('paged.sharing'))),
    h('div', { class: 'row' }, reset, demo),
    h('div', { class: 'field' }, h('label', { for: 'paged-prompt' }, tr('prompt')), prompt),
    h('div', { class: 'row' }, nSamples.field, maxTok.field, temp.field), add,
    h('div', { class: 'row' }, stepBtn, playBtn), status);

  const grid = h('div', { class: 'pool-grid', id: 'paged-grid', role: 'img', 'aria-label': tr('paged.pool') });
  const stats = statList([['occupancy', tr('paged.occupancy')], ['waste', tr('paged.waste')], ['saved', tr('paged.saved')],
    ['cow', tr('paged.cow')], ['hits', tr('paged.hits')], ['preempt', tr('paged.preempt')], ['steps', tr('paged.steps')]]);
  const poolCard = h('section', { class: 'card pool-card', 'aria-labelledby': 'paged-pool-title' },
    h('h3', { id: 'paged-pool-title' }, tr('paged.pool')), h('p', { class: 'muted' }, tr('paged.legend')), grid, stats.dl);
  const tables = h('div', { class: 'block-tables', id: 'paged-tables' });
  const tablesCard = h('section', { class: 'card tables-card', 'aria-labelledby': 'paged-tables-title' }, h('h3', { id: 'paged-tables-title' }, tr('paged.tables')), tables);
  const events = h('ol', { class: 'events', id: 'paged-events', 'aria-live': 'polite' });
  const eventsCard = h('section', { class: 'card events-card', 'aria-labelledby': 'paged-ev-title' }, h('h3', { id: 'paged-ev-title' }, tr('paged.events')), events);
  const note = h('p', { class: 'muted', id: 'paged-note' });

  const root = h('section', { class: 'lesson align-lab paged', id: 'lesson-paged', 'aria-labelledby': 'paged-title' },
    lessonHeader(tr('paged.title'), tr('paged.intro'), ['docs/paged_attention.md', 'docs/kv_cache.md'], ['core/infer/paged.h', 'core/infer/engine.h', 'wasm/engine_bindings.cpp'], { titleId: 'paged-title' }),
    note,
    h('div', { class: 'paged-layout' }, controls, poolCard, tablesCard, eventsCard));
  container.append(root);

  const render = () => {
    const s = state.snapshot;
    root.dataset.steps = String(s?.steps ?? 0);
    note.textContent = s?.byte_model ? tr('paged.noModel') : '';
    status.textContent = state.message;
    playBtn.textContent = state.playing ? tr('paged.pause') : tr('paged.play');
    stepBtn.disabled = state.playing || !s;
    for (const b of [add, demo, reset]) b.disabled = state.playing;
    if (!s) {
      grid.replaceChildren();
      tables.replaceChildren();
      return;
    }
    const touched = new Map<number, string>();
    for (const e of state.events) touched.set(e.block, e.kind);
    grid.style.setProperty('--cols', String(Math.ceil(Math.sqrt(s.num_blocks * 1.6))));
    grid.replaceChildren(...s.ref_count.map((ref, b) => {
      const owners = s.owners[b];
      const fill = ref > 0 ? s.block_tokens[b] / s.block_size : 0;
      const cell = h('div', {
        class: `block${ref > 1 ? ' shared' : ''}${ref === 0 ? ' free' : ''}${s.cached[b] ? ' cached' : ''}`,
        'data-block': b, 'data-ref': ref, 'data-event': touched.get(b),
        title: trf('paged.blockTitle', { block: b, ref, used: s.block_tokens[b], size: s.block_size }) +
          (owners.length ? ', ' + owners.map(([r, i]) => seqName(r, i)).join(' ') : '') + (s.cached[b] ? `, ${tr('paged.cached')}` : ''),
      }, h('span', { class: 'fill' }), h('span', { class: 'id' }, String(b)), ref > 0 ? h('span', { class: 'ref' }, String(ref)) : null);
      if (ref > 0) cell.style.setProperty('--h', String(hue(owners[0]?.[0] ?? 0)));
      cell.style.setProperty('--fill', String(fill));
      return cell;
    }));
    tables.replaceChildren(...s.seqs.map((q) =>
      h('div', { class: `seq ${q.state}`, 'data-request': q.request },
        h('div', { class: 'seq-head' }, h('span', { class: 'swatch', style: `--h:${hue(q.request)}` }), describeSeq(q)),
        h('div', { class: 'chips' }, ...q.block_table.map((b, j) => h('span', { class: `chip${s.ref_count[b] > 1 ? ' shared' : ''}`, title: trf('paged.chipTitle', { logical: j, physical: b }) }, String(b)))),
        h('div', { class: 'seq-text' }, h('mark', { class: 'prompt' }, q.prompt), q.text))));
    events.replaceChildren(...(state.events.length ? state.events.map((e) => h('li', { class: `ev ${e.kind}` }, describeEvent(e))) : [h('li', { class: 'muted' }, tr('paged.noEvents'))]));
    stats.set('occupancy', `${s.used_blocks} / ${s.num_blocks} (${(100 * s.occupancy).toFixed(0)}%)`);
    stats.set('waste', `${s.waste_slots} / ${s.slots}`);
    stats.set('saved', String(s.saved_blocks));
    stats.set('cow', String(s.cow_copies));
    stats.set('hits', String(s.prefix_hits));
    stats.set('preempt', String(s.preemptions));
    stats.set('steps', String(s.steps));
  };

  const fail = (e: unknown) => {
    state.message = (e as Error).message;
    state.playing = false;
    render();
  };
  const apply = (r: PagedStep) => {
    state.snapshot = r.snapshot;
    state.events = r.events;
    state.history++;
    if (!r.hasWork) state.message = trf('paged.allDone', { steps: r.snapshot.steps, done: r.snapshot.requests_finished, added: r.snapshot.requests_added });
    render();
  };
  const create = async () => {
    try {
      await ctx.core.whenReady();
      const st = await ctx.core.request('align.status', {}).result;
      state.snapshot = await ctx.core.request('paged.create', {
        block_size: Number(blockSize.input.value), num_blocks: Number(numBlocks.input.value), prefix_sharing: sharing.checked,
        max_num_seqs: 8, max_batched_tokens: 64, model: st.has_model && st.has_tokenizer ? 'current' : 'random',
      }).result;
      state.events = [];
      state.message = '';
      render();
    } catch (e) {
      fail(e);
    }
  };
  const addRequests = async (reqs: RequestSpec[]) => {
    try {
      if (!state.snapshot) await create();
      state.snapshot = await ctx.core.request('paged.add', { requests: reqs }).result;
      render();
    } catch (e) {
      fail(e);
    }
  };
  reset.addEventListener('click', () => void create());
  // the first request is prefilled alone, so its full prompt blocks are in the prefix cache when
  // the second one (same opening) arrives: the demo shows a prefix hit, not just forked samples
  demo.addEventListener('click', async () => {
    await addRequests([DEMO[0]]);
    try {
      apply(await ctx.core.request('paged.step', {}).result);
    } catch (e) {
      fail(e);
    }
    await addRequests(DEMO.slice(1));
  });
  add.addEventListener('click', () => void addRequests([{ prompt: prompt.value, n: Number(nSamples.input.value), temperature: Number(temp.input.value), maxTokens: Number(maxTok.input.value), seed: Date.now() % 100000 }]));
  stepBtn.addEventListener('click', async () => {
    try {
      apply(await ctx.core.request('paged.step', {}).result);
    } catch (e) {
      fail(e);
    }
  });
  let play: { stop(): void } | null = null;
  playBtn.addEventListener('click', async () => {
    if (play) {
      play.stop();
      return;
    }
    state.playing = true;
    render();
    const run = ctx.core.request('paged.play', { delayMs: 350, maxSteps: 1000 }, apply);
    play = run;
    try {
      await run.result;
    } catch (e) {
      fail(e);
    } finally {
      play = null;
      state.playing = false;
      render();
    }
  });

  render();
  if (!state.snapshot) void create();
  return () => {
    play?.stop();
    root.remove();
  };
}

export const pagedLesson: Lesson = {
  id: 'paged',
  order: 70,
  get title() {
    return tr('paged.title').split(':')[0].split('：')[0];
  },
  get summary() {
    return tr('paged.summary');
  },
  mount,
};
