// A lesson is one page of the app: it mounts into a container and returns a cleanup
// function. Lessons share the app context (one wasm worker, one current model).
// A lesson folder web/src/lessons/<x>/ holds page.ts (exports `lesson`, picked up by
// lessons/index.ts) and optionally worker_handlers.ts (picked up by the worker).
import type { CoreClient } from '../core/client';
import { t } from '../i18n';
import { h } from '../ui/dom';

export interface AppContext {
  core: CoreClient;
}

export interface Lesson {
  /** URL fragment: #/<id> */
  id: string;
  /** Tab position (smaller first). Core lessons use 10..40, ALIGN-WEB's 50..80. */
  order: number;
  title: string;
  /** One line for the tab's tooltip. */
  summary: string;
  mount(container: HTMLElement, ctx: AppContext): () => void;
}

// Where a lesson's theory and code live. With VITE_REPO_URL set at build time (the repository's
// file viewer, e.g. https://github.com/<owner>/<repo>/blob/main/) both link to the file there.
// Without it, theory pages link to their copy in the site (the build copies docs/*.md into
// dist/docs/, see docsPlugin in vite.config.ts; the dev server serves them too) and code paths
// are shown as text: a static site cannot count on the repository being next to it.
const REPO = String(import.meta.env.VITE_REPO_URL ?? '').trim();
const REPO_URL = REPO ? REPO.replace(/\/*$/, '/') : '';

function refLink(path: string, isDoc: boolean): HTMLElement {
  const code = h('code', {}, path);
  const href = REPO_URL ? REPO_URL + path : isDoc ? `./${path}` : null;
  return href ? h('a', { href, target: '_blank', rel: 'noopener' }, code) : code;
}

/** "Theory: docs/x.md · ..." and "Code: core/... · ..." lines. */
export function sourceRefs(docs: string[], code: string[]): HTMLElement[] {
  const line = (label: string, xs: string[], isDoc: boolean) =>
    h('p', { class: 'refs' }, h('span', { class: 'muted' }, `${label}: `), ...xs.flatMap((x, i) => [i ? ' · ' : '', refLink(x, isDoc)]));
  return [line(t('common.docs'), docs, true), line(t('common.code'), code, false)];
}

/** The heading (focused by the router after a tab change), the short explanation, and sourceRefs(). */
export function lessonHeader(title: string, intro: string, docs: string[], code: string[], opts: { titleId?: string } = {}): HTMLElement {
  return h(
    'header',
    { class: 'lesson-head' },
    h('h2', { tabindex: -1, id: opts.titleId }, title),
    h('p', { class: 'intro' }, intro),
    ...sourceRefs(docs, code),
  );
}

/** A status line that shows errors in red; returns a setter. */
export function statusLine(id: string): { el: HTMLElement; set(text: string, error?: boolean): void } {
  const el = h('p', { class: 'status', id, role: 'status', 'aria-live': 'polite' });
  return {
    el,
    set(text, error = false) {
      el.textContent = text;
      el.classList.toggle('error', error);
    },
  };
}
