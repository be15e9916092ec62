// Tab entry of the runs lab (picked up by lessons/index.ts); the lab itself is runs.ts.
import type { Lesson } from '../lesson';
import { runsLesson } from './runs';

export const lesson: Lesson = runsLesson;
