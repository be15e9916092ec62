// Loads the wasm core (web/generated/llm_core.{mjs,wasm}, written by the CMake target
// llm_core_wasm) into Node for the Vitest suites. LLM_CORE_DIR overrides the folder.
//
// Two quirks of Debian's em++ 3.1.6 ES-module output under Node 20, handled here:
//  - its loader fetches the .wasm with Node's built-in fetch and fails ("Failed to parse
//    URL"), so the bytes are read with fs and passed as `wasmBinary`;
//  - its Node branch reads `__dirname`, which ES modules do not have, so a value is
//    provided on globalThis while the factory runs.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const coreDir = path.resolve(process.env.LLM_CORE_DIR ?? path.join(repo, 'web/generated'));

let cached = null;

export function loadCore() {
  cached ??= (async () => {
    const mjs = path.join(coreDir, 'llm_core.mjs');
    const wasm = path.join(coreDir, 'llm_core.wasm');
    for (const f of [mjs, wasm]) {
      if (!fs.existsSync(f)) {
        throw new Error(
          `${path.relative(repo, f)} is missing: build the wasm core first ` +
            '(NODE_PATH=/usr/share/nodejs emcmake cmake -S . -B build-wasm && cmake --build build-wasm --target llm_core_wasm)',
        );
      }
    }
    const { default: createLlmCore } = await import(/* @vite-ignore */ pathToFileURL(mjs).href);
    const hadDirname = '__dirname' in globalThis;
    if (!hadDirname) globalThis.__dirname = coreDir;
    try {
      return await createLlmCore({ wasmBinary: fs.readFileSync(wasm) });
    } finally {
      if (!hadDirname) delete globalThis.__dirname;
    }
  })();
  return cached;
}
