// Tab entry of the paged lab (picked up by lessons/index.ts); the lab itself is paged.ts.
import type { Lesson } from '../lesson';
import { pagedLesson } from './paged';

export const lesson: Lesson = pagedLesson;
