// The lesson list, in tab order. A new lesson = a folder under lessons/ plus a line here.
import type { Lesson } from './lesson';
import { trainLesson } from './train/train';

export const LESSONS: Lesson[] = [trainLesson];
