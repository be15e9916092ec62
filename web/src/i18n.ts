// UI strings in one table per language, so a second language (the course is also taught
// in Chinese) is a new table, not a hunt through the code. English only for now.
const en = {
  'app.title': 'LLM from scratch',
  'app.tagline': 'A C++ transformer compiled to WebAssembly, training in your browser.',
  'nav.label': 'Lessons',
  'footer.core': 'wasm core',
  'footer.loading': 'loading the wasm core…',
  'footer.isolated': 'cross-origin isolated (threads possible)',
  'footer.notIsolated': 'not cross-origin isolated (single thread)',
  'notFound': 'No lesson here. Pick one above.',
} as const;

export type StringKey = keyof typeof en;
const table: Record<StringKey, string> = en;

export function t(key: StringKey): string {
  return table[key];
}
