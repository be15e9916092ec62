// Tab entry of the dpo lab (picked up by lessons/index.ts); the lab itself is dpo.ts.
import type { Lesson } from '../lesson';
import { dpoLesson } from './dpo';

export const lesson: Lesson = dpoLesson;
