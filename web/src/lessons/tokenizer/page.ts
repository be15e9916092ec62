// Tokenizer lab: train BPE / WordPiece / Unigram on the same text, compare how they cut a sentence,
// and watch the teaching BPE learn merges one at a time. Training the three is one request per
// tokenizer (each one blocking wasm call), so Stop cancels the ones not started yet.
import { Job, JobStopped, type Running } from '../../core/client';
import type { Encoded, TeachMerge, TeachWord, TokenizerType } from '../../core/protocol';
import { t, tf } from '../../i18n';
import { h } from '../../ui/dom';
import { tokenChips } from '../../ui/tokens';
import { lessonHeader, statusLine, type AppContext, type Lesson } from '../lesson';

const TYPES: TokenizerType[] = ['bpe', 'wordpiece', 'unigram'];
const SAMPLE = 'Once upon a time, a little bunny found a red ball in the park.';
let corpus = '';  // survives lesson switches

function mount(container: HTMLElement, ctx: AppContext): () => void {
  let alive = true;
  const status = statusLine('tok-status');
  const text = h('textarea', { id: 'tok-corpus', rows: 6, spellcheck: false, 'aria-label': t('tok.corpus') });
  text.value = corpus;
  text.addEventListener('input', () => (corpus = text.value));
  const stories = h('button', { type: 'button', id: 'tok-stories' }, t('tok.useStories'));
  const vocab = h('input', { id: 'tok-vocab', type: 'number', min: 300, max: 8192, value: 512 });
  const train = h('button', { type: 'button', class: 'primary', id: 'tok-train' }, t('tok.train'));
  const use = h('button', { type: 'button', id: 'tok-use', disabled: true }, t('tok.use'));
  const input = h('input', { id: 'tok-input', type: 'text', value: SAMPLE, autocomplete: 'off' });
  const table = h('div', { class: 'compare', id: 'tok-compare' });

  const fail = (e: unknown) => alive && status.set(`${t('common.error')}: ${(e as Error).message}`, true);

  async function loadStories() {
    const r = await ctx.core.request('data.stories', { n: 400, seed: 1 }).result;
    corpus = text.value = r.text;
  }
  stories.addEventListener('click', () => loadStories().catch(fail));

  const trainedTypes = new Set<TokenizerType>();
  async function compare() {
    const rows: HTMLElement[] = [];
    const bytes = new TextEncoder().encode(input.value).length;
    for (const type of TYPES) {
      if (!trainedTypes.has(type)) continue;
      const enc: Encoded = await ctx.core.request('tok.encode', { which: type, text: input.value }).result;
      rows.push(
        h(
          'div',
          { class: 'compare-row', 'data-type': type },
          h('h4', {}, type, ' ', h('span', { class: 'muted', 'data-count': enc.ids.length }, `${enc.ids.length} ${t('tok.tokens')} · ${(bytes / Math.max(1, enc.ids.length)).toFixed(2)} ${t('tok.charsPerToken')}`)),
          tokenChips(enc),
        ),
      );
    }
    if (alive) table.replaceChildren(...rows);
  }

  // train button = stop button while the three trainings run
  let job: Job | null = null;
  const showTraining = () => {
    train.textContent = job ? t('common.stop') : t('tok.train');
    train.classList.toggle('danger', job !== null);
  };
  train.addEventListener('click', async () => {
    if (job) {
      job.stop();
      status.set(t('tok.stopping'));
      return;
    }
    const my = new Job(ctx.core);
    job = my;
    showTraining();
    const done: string[] = [];
    try {
      if (!corpus.trim()) await loadStories();
      for (const type of TYPES) {
        status.set(tf('tok.training', { type }));
        const r = await my.run('tok.train', { type, text: corpus, vocabSize: Number(vocab.value), session: type === 'bpe' });
        trainedTypes.add(type);
        done.push(type);
        if (alive) status.set(tf('tok.trained', { type, n: r.vocabSize, s: r.seconds.toFixed(2) }));
      }
      if (alive) status.set(tf('tok.allTrained', { types: done.join(' · ') }));
    } catch (e) {
      if (!(e instanceof JobStopped)) fail(e);
      else if (alive) status.set(done.length ? tf('tok.stoppedAfter', { types: done.join(' · ') }) : t('tok.stoppedNone'));
    } finally {
      job = null;
      use.disabled = !trainedTypes.has('bpe');
      if (alive) showTraining();
      await compare().catch(fail);
    }
  });
  use.addEventListener('click', () => ctx.core.request('tok.use', { type: 'bpe' }).result.then(() => alive && status.set(t('tok.used'))).catch(fail));
  let timer = 0;
  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = window.setTimeout(() => compare().catch(fail), 150);
  });

  // ---- teaching BPE ----
  const teachStart = h('button', { type: 'button', id: 'teach-start' }, t('tok.teachStart'));
  const teachStep = h('button', { type: 'button', id: 'teach-step', disabled: true }, t('tok.teachStep'));
  const teach10 = h('button', { type: 'button', id: 'teach-10', disabled: true }, t('tok.teach10'));
  const teachStop = h('button', { type: 'button', id: 'teach-stop', disabled: true }, t('common.stop'));
  const mergeList = h('ol', { class: 'merges', id: 'teach-merges' });
  const words = h('div', { class: 'words', id: 'teach-words' });
  const showWords = (ws: TeachWord[]) =>
    words.replaceChildren(
      ...ws.map((w) =>
        h('div', { class: 'word' }, h('span', { class: 'muted' }, `${w.count}× `), tokenChips({ ids: w.ids, pieces: w.pieces, spans: [] })),
      ),
    );
  // merges run in the worker's time slices: Stop ends a run of merges between two of them
  let teaching: Running<'tok.teachStep'> | null = null;
  let teachDone = true;  // no teacher yet, or no pair left to merge
  const showTeach = () => {
    teachStep.disabled = teach10.disabled = teachDone || teaching !== null;
    teachStart.disabled = teaching !== null;
    teachStop.disabled = teaching === null;
  };
  teachStart.addEventListener('click', async () => {
    try {
      if (!corpus.trim()) await loadStories();
      const r = await ctx.core.request('tok.teachStart', { text: corpus.slice(0, 20000), words: 12 }).result;
      if (!alive) return;
      mergeList.replaceChildren();
      showWords(r.words);
      teachDone = false;
      showTeach();
    } catch (e) {
      fail(e);
    }
  });
  const stepN = async (n: number) => {
    if (teaching) return;
    try {
      teaching = ctx.core.request('tok.teachStep', { n, words: 12 }, (m: TeachMerge) => {
        mergeList.append(h('li', {}, h('code', {}, m.leftText), ' + ', h('code', {}, m.rightText), ' → ', h('code', {}, m.text), h('span', { class: 'muted' }, ` ${tf('tok.mergeInfo', { count: m.count, id: m.id })}`)));
      });
      showTeach();
      const r = await teaching.result;
      if (!alive) return;
      showWords(r.words);
      teachDone = r.done;
      if (r.done) status.set(tf('tok.teachFinished', { n: r.merges }));
    } catch (e) {
      fail(e);
    } finally {
      teaching = null;
      if (alive) showTeach();
    }
  };
  teachStep.addEventListener('click', () => stepN(1));
  teach10.addEventListener('click', () => stepN(10));
  teachStop.addEventListener('click', () => teaching?.stop());

  const root = h(
    'section',
    { class: 'lesson', id: 'lesson-tokenizer' },
    lessonHeader(t('tok.title'), t('tok.intro'), ['docs/tokenizers.md'], ['core/tokenizer/bpe_train.cpp', 'core/tokenizer/bpe_teaching.cpp', 'core/tokenizer/wordpiece.cpp', 'core/tokenizer/unigram_train.cpp', 'wasm/tokenizer_bindings.cpp']),
    h(
      'div',
      { class: 'card' },
      h('div', { class: 'field' }, h('label', { for: 'tok-corpus' }, t('tok.corpus')), text),
      h('div', { class: 'row' }, stories, h('div', { class: 'field' }, h('label', { for: 'tok-vocab' }, t('tok.vocab')), vocab), train, use),
      status.el,
    ),
    h('div', { class: 'card' }, h('h3', {}, t('tok.compare')), h('div', { class: 'field' }, h('label', { for: 'tok-input' }, t('tok.input')), input), table),
    h(
      'div',
      { class: 'card' },
      h('h3', {}, t('tok.teach')),
      h('div', { class: 'row' }, teachStart, teachStep, teach10, teachStop),
      h('div', { class: 'teach' }, h('div', {}, h('h4', {}, t('tok.merges')), mergeList), h('div', {}, h('h4', {}, t('tok.words')), words)),
    ),
  );
  container.append(root);
  return () => {
    alive = false;
    clearTimeout(timer);
    job?.stop();
    teaching?.stop();
    root.remove();
  };
}

export const lesson: Lesson = { id: 'tokenizer', order: 10, title: t('tok.title'), summary: t('tok.summary'), mount };
