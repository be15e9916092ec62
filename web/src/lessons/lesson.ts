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

/** The heading, the short explanation and where its theory and code live in the repository. */
export function lessonHeader(title: string, intro: string, docs: string[], code: string[]): HTMLElement {
  const paths = (label: string, xs: string[]) =>
    h('p', { class: 'refs' }, h('span', { class: 'muted' }, `${label}: `), ...xs.flatMap((x, i) => [i ? ' · ' : '', h('code', {}, x)]));
  return h(
    'header',
    { class: 'lesson-head' },
    h('h2', { tabindex: -1 }, title),
    h('p', { class: 'intro' }, intro),
    paths(t('common.docs'), docs),
    paths(t('common.code'), code),
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
