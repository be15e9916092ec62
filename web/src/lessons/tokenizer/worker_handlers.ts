// Worker side of the Tokenizer lab: trained tokenizers kept by type, the teaching BPE.
import type { BpeTeacher, Tokenizer } from '@llm-core/llm_core.mjs';
import type { Encoded, TeachWord, TokenizerType } from '../../core/protocol';
import { register, sessionInfo } from '../../core/worker_registry';

const trained = new Map<TokenizerType, Tokenizer>();
let teacher: BpeTeacher | null = null;

register('tok.train', (p, ctx) => {
  const t0 = performance.now();
  const tok = ctx.core.trainTokenizer(p.type, p.text, p.vocabSize);
  trained.get(p.type)?.delete();
  trained.set(p.type, tok);
  if (p.session) {
    ctx.core.setSessionTokenizer(tok);
    ctx.sessionChanged();
  }
  return { type: p.type, vocabSize: tok.vocabSize(), seconds: (performance.now() - t0) / 1000 };
});

register('tok.encode', (p, ctx) => {
  if (p.which === 'session') {
    const tok = ctx.core.sessionTokenizer();
    if (!tok) throw new Error('no session tokenizer yet: train one first');
    try {
      return JSON.parse(tok.encodeJson(p.text)) as Encoded;
    } finally {
      tok.delete();
    }
  }
  const tok = trained.get(p.which);
  if (!tok) throw new Error(`no ${p.which} tokenizer trained yet`);
  return JSON.parse(tok.encodeJson(p.text)) as Encoded;
});

register('tok.use', (p, ctx) => {
  const tok = trained.get(p.type);
  if (!tok) throw new Error(`no ${p.type} tokenizer trained yet`);
  ctx.core.setSessionTokenizer(tok);
  ctx.sessionChanged();
  return sessionInfo(ctx.core);
});

register('tok.teachStart', (p, ctx) => {
  teacher?.delete();
  teacher = new ctx.core.BpeTeacher(p.text);
  return { distinctWords: teacher.distinctWords(), words: JSON.parse(teacher.wordsJson(p.words)) as TeachWord[] };
});

register('tok.teachStep', async (p, ctx) => {
  const t = teacher;
  if (!t) throw new Error('start the teaching BPE on a text first');
  let left = p.n;
  let done = false;
  await ctx.slices(() => {
    if (left <= 0) return false;
    const m = t.step();
    if (!m) {
      done = true;
      return false;
    }
    ctx.progress(JSON.parse(m));
    left--;
    return true;
  });
  return { merges: t.mergeCount(), done, words: JSON.parse(t.wordsJson(p.words)) as TeachWord[] };
});

register('data.stories', (p, ctx) => ({ text: ctx.core.generateStories(p.n, p.seed) }));
