// Tokenizer lab: train BPE / WordPiece / Unigram on the same text, compare how they cut a sentence,
// and watch the teaching BPE learn merges one at a time.
import type { Encoded, TeachMerge, TeachWord, TokenizerType } from '../../core/protocol';
import { t } from '../../i18n';
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

  train.addEventListener('click', async () => {
    try {
      if (!corpus.trim()) await loadStories();
      train.disabled = true;
      for (const type of TYPES) {
        status.set(`${t('common.working')} ${type}`);
        const r = await ctx.core.request('tok.train', { type, text: corpus, vocabSize: Number(vocab.value), session: type === 'bpe' }).result;
        trainedTypes.add(type);
        status.set(`${type}: ${r.vocabSize} ${t('tok.tokens')}, ${r.seconds.toFixed(2)} s`);
      }
      use.disabled = false;
      await compare();
      status.set(`bpe · wordpiece · unigram ✓`);
    } catch (e) {
      fail(e);
    } finally {
      train.disabled = false;
    }
  });
  use.addEventListener('click', () => ctx.core.request('tok.use', { type: 'bpe' }).result.then(() => status.set('✓ bpe')).catch(fail));
  let timer = 0;
  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = window.setTimeout(() => compare().catch(fail), 150);
  });

  // ---- teaching BPE ----
  const teachStart = h('button', { type: 'button', id: 'teach-start' }, t('tok.teachStart'));
  const teachStep = h('button', { type: 'button', id: 'teach-step', disabled: true }, t('tok.teachStep'));
  const teach10 = h('button', { type: 'button', id: 'teach-10', disabled: true }, t('tok.teach10'));
  const mergeList = h('ol', { class: 'merges', id: 'teach-merges' });
  const words = h('div', { class: 'words', id: 'teach-words' });
  const showWords = (ws: TeachWord[]) =>
    words.replaceChildren(
      ...ws.map((w) =>
        h('div', { class: 'word' }, h('span', { class: 'muted' }, `${w.count}× `), tokenChips({ ids: w.ids, pieces: w.pieces, spans: [] })),
      ),
    );
  teachStart.addEventListener('click', async () => {
    try {
      if (!corpus.trim()) await loadStories();
      const r = await ctx.core.request('tok.teachStart', { text: corpus.slice(0, 20000), words: 12 }).result;
      mergeList.replaceChildren();
      showWords(r.words);
      teachStep.disabled = teach10.disabled = false;
    } catch (e) {
      fail(e);
    }
  });
  const stepN = async (n: number) => {
    try {
      const r = await ctx.core.request('tok.teachStep', { n, words: 12 }, (m: TeachMerge) => {
        mergeList.append(h('li', {}, h('code', {}, m.leftText), ' + ', h('code', {}, m.rightText), ' → ', h('code', {}, m.text), h('span', { class: 'muted' }, ` (${m.count}×, id ${m.id})`)));
      }).result;
      showWords(r.words);
      if (r.done) teachStep.disabled = teach10.disabled = true;
    } catch (e) {
      fail(e);
    }
  };
  teachStep.addEventListener('click', () => stepN(1));
  teach10.addEventListener('click', () => stepN(10));

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
      h('div', { class: 'row' }, teachStart, teachStep, teach10),
      h('div', { class: 'teach' }, h('div', {}, h('h4', {}, t('tok.merges')), mergeList), h('div', {}, h('h4', {}, t('tok.words')), words)),
    ),
  );
  container.append(root);
  return () => {
    alive = false;
    clearTimeout(timer);
    root.remove();
  };
}

export const lesson: Lesson = { id: 'tokenizer', order: 10, title: t('tok.title'), summary: t('tok.summary'), mount };
