// The lesson list, in tab order: every web/src/lessons/<x>/page.ts exporting `lesson` is a tab,
// sorted by its `order`. Adding a lesson edits no shared file.
import type { Lesson } from './lesson';

const pages = import.meta.glob<{ lesson: Lesson }>('./*/page.ts', { eager: true });
export const LESSONS: Lesson[] = Object.values(pages)
  .map((m) => m.lesson)
  .sort((a, b) => a.order - b.order);
