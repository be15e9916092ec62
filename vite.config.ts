// Vite serves and builds the web edition from web/ (npm run dev | build | preview).
// The wasm core comes from CMake's output folder web/generated/ through the `@llm-core`
// alias; LLM_CORE_DIR=/path/to/other/build overrides it (e.g. a debug build of the core).
// The lessons link their theory pages as ./docs/<name>.md: docsPlugin() below serves docs/ in dev
// and copies docs/*.md into the built site, so the links work on any static host.
// VITE_REPO_URL=https://github.com/<owner>/<repo>/blob/<branch>/ makes them (and the code paths)
// link into the repository's file viewer instead (web/src/lessons/lesson.ts).
import { defineConfig, type Plugin } from 'vite';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.dirname(fileURLToPath(import.meta.url));
const coreDir = path.resolve(process.env.LLM_CORE_DIR ?? path.join(repo, 'web/generated'));
const docsDir = path.join(repo, 'docs');

// docs/<name>.md at ./docs/<name>.md of the site: served by the dev server, emitted by the build.
function docsPlugin(): Plugin {
  const pages = () => fs.readdirSync(docsDir).filter((f) => /^[\w.-]+\.md$/.test(f));
  return {
    name: 'llm-docs',
    configureServer(server) {
      server.middlewares.use('/docs', (req, res, next) => {
        const name = decodeURIComponent((req.url ?? '').split('?')[0]).replace(/^\/+/, '');
        if (!pages().includes(name)) return next();
        res.setHeader('Content-Type', 'text/markdown; charset=utf-8');
        res.end(fs.readFileSync(path.join(docsDir, name)));
      });
    },
    generateBundle() {
      for (const name of pages()) this.emitFile({ type: 'asset', fileName: `docs/${name}`, source: fs.readFileSync(path.join(docsDir, name)) });
    },
  };
}

// Cross-origin isolation makes SharedArrayBuffer (wasm threads) available to the page.
// Every resource is same-origin, so require-corp costs nothing here.
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  root: path.join(repo, 'web'),
  base: './', // relative URLs: web/dist works from any folder of any static host
  plugins: [docsPlugin()],
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
