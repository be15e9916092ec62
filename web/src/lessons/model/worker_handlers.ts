// Worker side of the Model lab: a throwaway model per inspection, and the session model's attention.
import type { AttentionMaps, MemoryInfo } from '../../core/protocol';
import { register } from '../../core/worker_registry';

register('model.inspect', (p, ctx) => {
  const m = new ctx.core.Model(JSON.stringify(p.config), p.seed);
  try {
    const memory = JSON.parse(m.memoryJson(p.batch, p.seqLen)) as MemoryInfo;
    let attention: AttentionMaps | null = null;
    if (p.text) {
      // the session tokenizer when it fits this model's vocabulary, else UTF-8 bytes (ids 0..255)
      const tok = ctx.core.sessionTokenizer();
      const vocab = Number(memory.config.vocab_size);
      let ids: number[];
      let pieces: string[];
      if (tok && tok.vocabSize() <= vocab) {
        const enc = JSON.parse(tok.encodeJson(p.text)) as { ids: number[]; pieces: string[] };
        ids = enc.ids;
        pieces = enc.pieces;
      } else {
        ids = Array.from(new TextEncoder().encode(p.text), (b) => b % vocab);
        pieces = ids.map((b) => String.fromCharCode(b));
      }
      tok?.delete();
      const T = Math.min(ids.length, 48, Number(memory.config.max_seq_len));
      ids = ids.slice(0, T);
      attention = { ...(JSON.parse(m.attentionJson(ids)) as AttentionMaps), ids, pieces: pieces.slice(0, T) };
    }
    return { memory, attention };
  } finally {
    m.delete();
  }
});

register('model.sessionAttention', (p, ctx) => JSON.parse(ctx.core.sessionAttentionJson(p.text)) as AttentionMaps);
