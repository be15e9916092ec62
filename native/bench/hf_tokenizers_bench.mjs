// Peer benchmark for `llm bench tokenizer`: the npm `tokenizers` package
// (Hugging Face tokenizers, Rust) on the same input as our C++ tokenizer.
//
//   node native/bench/hf_tokenizers_bench.mjs --input FILE [--tokenizer tokenizer.json] [--reps 3] [--train] [--encode]
//
// Threads: set RAYON_NUM_THREADS in the environment (the C++ side does).
// --train    byte-level BPE training with the package's default trainer. The
//            Node binding exposes no trainer options, so it trains towards its
//            default vocab_size of 30000 (stopping early when no pair is left).
// --encode   loads --tokenizer (our tokenizer.json) and encodes the input's
//            lines with encodeBatch; reports MB/s and a checksum of the ids
//            so the caller can check they equal ours.
// Prints one JSON object on stdout.
import { readFileSync } from 'node:fs';
import hf from 'tokenizers';

const { Tokenizer, BPE, byteLevelPreTokenizer } = hf;

function arg(name, dflt) {
  const i = process.argv.indexOf('--' + name);
  if (i < 0) return dflt;
  const v = process.argv[i + 1];
  return v === undefined || v.startsWith('--') ? true : v;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const input = arg('input');
if (!input) {
  console.error('usage: hf_tokenizers_bench.mjs --input FILE [--tokenizer tokenizer.json] [--reps 3] [--train] [--encode]');
  process.exit(2);
}
const reps = Number(arg('reps', 3));
const text = readFileSync(input, 'utf8');
const mb = Buffer.byteLength(text, 'utf8') / 1e6;
const out = { package: 'tokenizers', version: JSON.parse(readFileSync(new URL(import.meta.resolve('tokenizers/package.json')))).version,
              rayon_threads: process.env.RAYON_NUM_THREADS ?? 'default', input_mb: mb };

if (arg('train', false)) {
  const times = [];
  let vocab = 0;
  for (let r = 0; r < reps; r++) {
    const t = new Tokenizer(BPE.empty());
    t.setPreTokenizer(byteLevelPreTokenizer(false, true));
    const t0 = performance.now();
    t.train([input]);
    times.push((performance.now() - t0) / 1000);
    vocab = t.getVocabSize();
  }
  out.train_s = median(times);
  out.train_s_all = times;
  out.train_vocab = vocab;
}

if (arg('encode', false)) {
  const tok = Tokenizer.fromFile(arg('tokenizer'));
  const lines = text.split('\n').filter((l) => l.length > 0);
  const rates = [];
  let count = 0;
  let hash = 0;
  for (let r = 0; r < reps + 1; r++) {
    const t0 = performance.now();
    const encs = await tok.encodeBatch(lines);
    const dt = (performance.now() - t0) / 1000;
    if (r > 0) rates.push(mb / dt); // the first pass warms up
    if (r === 0) {
      for (const e of encs) {
        for (const id of e.getIds()) {
          hash = (Math.imul(hash, 31) + id + 1) >>> 0;
          count++;
        }
      }
    }
  }
  out.encode_mb_s = median(rates);
  out.encode_mb_s_all = rates;
  out.encode_tokens = count;
  out.encode_ids_hash = hash;
  out.encode_lines = lines.length;
}
console.log(JSON.stringify(out));
