// Hugging Face interop, Node half: the npm `tokenizers` package (the Rust
// Hugging Face tokenizers) loads the tokenizer.json files our C++ trainers
// wrote and must produce exactly the ids our C++ encoder recorded
// (tests/tokenizer/data/interop_expected.json, checked on the C++ side by
// tests/tokenizer/interop_test.cpp).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import hf from 'tokenizers';

const { Tokenizer } = hf;
const fixture = JSON.parse(
  readFileSync(fileURLToPath(new URL('../tokenizer/data/interop_expected.json', import.meta.url)), 'utf8'),
);

describe.each(['bpe', 'wordpiece', 'unigram'])('%s tokenizer.json in Hugging Face tokenizers', (type) => {
  const entry = fixture[type];
  const tok = Tokenizer.fromString(JSON.stringify(entry.tokenizer));

  test('same vocabulary size', () => {
    expect(tok.getVocabSize(true)).toBe(entry.vocab_size);
  });

  test.each(fixture.texts.map((text, i) => [i, text]))('text %i: identical ids', async (i, text) => {
    const enc = await tok.encode(text);
    expect(enc.getIds()).toEqual(entry.ids[i]);
  });
});

test('bpe: Hugging Face decodes our ids back to the exact text', async () => {
  const tok = Tokenizer.fromString(JSON.stringify(fixture.bpe.tokenizer));
  for (let i = 0; i < fixture.texts.length; i++) {
    expect(await tok.decode(fixture.bpe.ids[i], false)).toBe(fixture.texts[i]);
  }
});

test('the mixed texts cover what the interop claim is about', () => {
  const all = fixture.texts.join('');
  expect(all).toMatch(/[\u4e00-\u9fff]/); // Chinese
  expect(all).toMatch(/\p{Extended_Pictographic}/u); // emoji
  expect(all).toContain('<|im_start|>'); // special tokens
  expect(all).toMatch(/ {3,}|\t\t|\n\n/); // whitespace runs
  // and the special tokens really are single ids in the BPE encoding
  const eot = fixture.bpe.tokenizer.added_tokens.find((t) => t.content === '<|endoftext|>').id;
  expect(fixture.bpe.ids[3].at(-1)).toBe(eot);
});
