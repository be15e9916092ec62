// Tab entry of the sft lab (picked up by lessons/index.ts); the lab itself is sft.ts.
import type { Lesson } from '../lesson';
import { sftLesson } from './sft';

export const lesson: Lesson = sftLesson;
