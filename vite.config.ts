// Vite serves and builds the web edition from web/ (npm run dev | build | preview).
// The wasm core comes from CMake's output folder web/generated/ through the `@llm-core`
// alias; LLM_CORE_DIR=/path/to/other/build overrides it (e.g. a debug build of the core).
import { defineConfig } from 'vite';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.dirname(fileURLToPath(import.meta.url));
const coreDir = path.resolve(process.env.LLM_CORE_DIR ?? path.join(repo, 'web/generated'));

// Cross-origin isolation makes SharedArrayBuffer (wasm threads) available to the page.
// Every resource is same-origin, so require-corp costs nothing here.
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  root: path.join(repo, 'web'),
  base: './', // relative URLs: web/dist works from any folder of any static host
  resolve: { alias: { '@llm-core': coreDir } },
  server: { headers: isolation, fs: { allow: [repo, coreDir] } },
  preview: { headers: isolation },
  worker: { format: 'es' }, // module worker: it imports the ES-module glue of the core
  build: {
    outDir: path.join(repo, 'web/dist'),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 1024,
    // two pages: the app, and the browser benchmark (web/bench.html, `npm run bench:web`)
    rollupOptions: { input: { main: path.join(repo, 'web/index.html'), bench: path.join(repo, 'web/bench.html') } },
  },
});
