// Model lab: the architecture switches of ModelConfig, their parameter count and memory, and
// every head's attention on a sentence (a fresh random model, or the trained session model).
import type { AttentionMaps, MemoryInfo } from '../../core/protocol';
import { t, tf } from '../../i18n';
import { formatCount, h } from '../../ui/dom';
import { heatmap } from '../../ui/heatmap';
import { lessonHeader, statusLine, type AppContext, type Lesson } from '../lesson';

const bytes = (n: number) => (n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : `${(n / 1024).toFixed(1)} KiB`);

function select(id: string, label: string, options: string[], value: string) {
  const s = h('select', { id, name: id });
  for (const o of options) s.append(h('option', { value: o, selected: o === value }, o));
  return { s, field: h('div', { class: 'field' }, h('label', { for: id }, label), s) };
}
function num(id: string, label: string, value: number, min: number, max: number) {
  const i = h('input', { id, name: id, type: 'number', min, max, value });
  return { i, field: h('div', { class: 'field' }, h('label', { for: id }, label), i) };
}

function mount(container: HTMLElement, ctx: AppContext): () => void {
  let alive = true;
  const status = statusLine('model-status');
  // labels name the ModelConfig key (configs/model/*.json) and say what it is
  const dim = num('m-dim', t('model.f.dim'), 128, 16, 1024);
  const layers = num('m-layers', t('model.f.layers'), 2, 1, 24);
  const heads = num('m-heads', t('model.f.heads'), 4, 1, 32);
  const kv = num('m-kv', t('model.f.kv'), 2, 1, 32);
  const vocab = num('m-vocab', t('model.f.vocab'), 4096, 256, 65536);
  const ctxLen = num('m-ctx', t('model.f.ctx'), 256, 16, 4096);
  const ffn = select('m-ffn', t('model.f.ffn'), ['swiglu', 'gelu_mlp'], 'swiglu');
  const norm = select('m-norm', t('model.f.norm'), ['rmsnorm', 'layernorm', 'qwen2_rmsnorm'], 'rmsnorm');
  const pos = select('m-pos', t('model.f.pos'), ['rope', 'alibi', 'learned', 'sinusoidal', 'none'], 'rope');
  const source = select('m-source', t('model.source'), [t('model.random'), t('model.session')], t('model.random'));
  const sentence = h('input', { id: 'm-sentence', type: 'text', value: 'The cat sat on the mat because it was tired.', autocomplete: 'off' });
  const run = h('button', { type: 'button', class: 'primary', id: 'm-run' }, t('model.run'));
  const numbers = h('dl', { class: 'stats', id: 'm-numbers' });
  const maps = h('div', { class: 'maps', id: 'm-maps' });

  const config = () => ({
    dim: Number(dim.i.value), n_layers: Number(layers.i.value), n_heads: Number(heads.i.value), n_kv_heads: Number(kv.i.value),
    vocab_size: Number(vocab.i.value), max_seq_len: Number(ctxLen.i.value), ffn: ffn.s.value, norm: norm.s.value, pos: pos.s.value,
  });
  const showMemory = (m: MemoryInfo) => {
    const row = (k: string, v: string, key: string) => h('div', {}, h('dt', {}, k), h('dd', { 'data-stat': key }, v));
    const g = m.groups;
    numbers.replaceChildren(
      row(t('model.params'), formatCount(m.params), 'params'),
      row(t('model.groups'), `${formatCount(g.embedding)} / ${formatCount(g.attention)} / ${formatCount(g.ffn)}`, 'groups'),
      row(t('model.groups2'), `${formatCount(g.norms)} / ${formatCount(g.head)} / ${formatCount(g.positions)}`, 'groups2'),
      row(t('model.memory'), `${bytes(m.weightsBytes)} + ${bytes(m.gradsBytes)} + ${bytes(m.adamBytes)} + ${bytes(m.activationBytes)}`, 'memory'),
      row(t('model.kv'), `${bytes(m.kvBytesPerToken)} ${tf('model.kvFull', { bytes: bytes(m.kvBytesFullContext) })}`, 'kv'),
    );
  };
  const showMaps = (a: AttentionMaps) => {
    const label = a.pieces.map((p) => p.replace(/\s/g, '·')).join(' | ');
    const blocks: HTMLElement[] = [h('p', { class: 'muted tokens-line' }, label)];
    for (let l = 0; l < a.layers; l++) {
      const row = h('div', { class: 'heat-row' }, h('h4', {}, `${t('model.layer')} ${l}`));
      for (let hh = 0; hh < a.heads; hh++) row.append(heatmap(a.probs[l][hh], a.T, tf('model.head', { l, h: hh, kv: Math.floor(hh / (a.heads / a.kvHeads)) })));
      blocks.push(row);
    }
    maps.replaceChildren(...blocks);
  };
  let pending = 0;
  const refresh = async (withMaps: boolean) => {
    const my = ++pending;
    try {
      if (source.s.selectedIndex === 1 && withMaps) {
        const a = await ctx.core.request('model.sessionAttention', { text: sentence.value }).result;
        if (alive && my === pending) showMaps(a);
        status.set('');
        return;
      }
      const r = await ctx.core.request('model.inspect', { config: config(), batch: 16, seqLen: 128, text: withMaps ? sentence.value : '', seed: 1 }).result;
      if (!alive || my !== pending) return;
      showMemory(r.memory);
      if (r.attention) showMaps(r.attention);
      status.set('');
    } catch (e) {
      if (alive) status.set(`${t('common.error')}: ${(e as Error).message}`, true);
    }
  };
  const form = h(
    'form',
    { class: 'card', id: 'm-form', 'aria-label': t('model.config') },
    h('div', { class: 'row wrap' }, dim.field, layers.field, heads.field, kv.field, vocab.field, ctxLen.field),
    h('div', { class: 'row wrap' }, ffn.field, norm.field, pos.field),
    numbers,
    status.el,
  );
  form.addEventListener('change', () => refresh(false));
  form.addEventListener('submit', (e) => e.preventDefault());
  run.addEventListener('click', () => refresh(true));
  const root = h(
    'section',
    { class: 'lesson', id: 'lesson-model' },
    lessonHeader(t('model.title'), t('model.intro'), ['docs/transformer.md', 'docs/kv_cache.md'], ['core/model/config.h', 'core/model/transformer.cpp', 'core/tensor/ops_attention.cpp', 'wasm/model_bindings.cpp']),
    form,
    h('div', { class: 'card' }, h('div', { class: 'row wrap' }, h('div', { class: 'field grow' }, h('label', { for: 'm-sentence' }, t('model.sentence')), sentence), source.field, run), maps),
  );
  container.append(root);
  ctx.core.whenReady().then(() => refresh(true)).catch(() => undefined);
  return () => {
    alive = false;
    root.remove();
  };
}

export const lesson: Lesson = { id: 'model', order: 20, title: t('model.title'), summary: t('model.summary'), mount };
