// App shell: header, lesson tabs, footer with the core's status, and a hash router
// (#/<lesson>) so the built folder works on any static host without rewrites.
import './style.css';
import { CoreClient } from './core/client';
import { lang, setLang, t, tf } from './i18n';
import { LESSONS } from './lessons';
import type { AppContext, Lesson } from './lessons/lesson';
import { h } from './ui/dom';

const ctx: AppContext = { core: new CoreClient() };

const nav = h('nav', { class: 'tabs', 'aria-label': t('nav.label') });
const links = new Map<string, HTMLAnchorElement>();
for (const lesson of LESSONS) {
  const a = h('a', { href: `#/${lesson.id}`, title: lesson.summary }, lesson.title);
  links.set(lesson.id, a);
  nav.append(a);
}
const langButton = h('button', { type: 'button', class: 'lang', lang: lang === 'zh' ? 'en' : 'zh', id: 'lang-switch' }, t('lang.switch'));
langButton.addEventListener('click', () => setLang(lang === 'zh' ? 'en' : 'zh'));
document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
// index.html's static text, in the page's language
const skip = document.querySelector<HTMLAnchorElement>('a.skip-link');
if (skip) skip.textContent = t('app.skip');
const main = h('main', { id: 'main', tabindex: -1 });
const coreStatus = h('span', {}, t('footer.loading'));
const app = document.getElementById('app')!;
app.append(
  h(
    'header',
    { class: 'top' },
    h('div', { class: 'brand' }, h('h1', {}, t('app.title')), h('p', { class: 'tagline' }, t('app.tagline'))),
    nav,
    langButton,
  ),
  main,
  h('footer', { class: 'bottom' }, coreStatus),
);

const showStatus = () => {
  const m = ctx.core.ready;
  if (m) {
    const iso = m.crossOriginIsolated ? t('footer.isolated') : t('footer.notIsolated');
    coreStatus.textContent = `${t('footer.core')} ${m.version} · ${iso} · ${tf('footer.threads', { n: m.threads })}`;
    coreStatus.dataset.core = 'ready';  // tests/web/e2e.mjs waits on it
    coreStatus.dataset.threads = String(m.threads);
  } else if (ctx.core.loadError) {
    coreStatus.textContent = ctx.core.loadError;
  }
};
ctx.core.onStatus(showStatus);
showStatus();

let unmount: (() => void) | null = null;
let current: Lesson | null = null;

function route(focus: boolean): void {
  const id = location.hash.replace(/^#\/?/, '') || LESSONS[0].id;
  const lesson = LESSONS.find((l) => l.id === id) ?? null;
  if (lesson && lesson === current) return;
  unmount?.();
  unmount = null;
  current = lesson;
  main.replaceChildren();
  for (const [lid, a] of links) {
    if (lid === lesson?.id) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  if (!lesson) {
    main.append(h('p', { class: 'card' }, t('notFound')));
    document.title = t('app.title');
    return;
  }
  document.title = `${lesson.title} · ${t('app.title')}`;
  unmount = lesson.mount(main, ctx);
  // After a tab change, move focus to the new lesson's heading for keyboard and screen-reader users.
  if (focus) main.querySelector<HTMLElement>('h2')?.focus();
}

window.addEventListener('hashchange', () => route(true));
route(false);
