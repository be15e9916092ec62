// A lesson is one page of the app: it mounts into a container and returns a cleanup
// function. Lessons share the app context (one wasm worker, one current model).
import type { CoreClient } from '../core/client';

export interface AppContext {
  core: CoreClient;
}

export interface Lesson {
  /** URL fragment: #/<id> */
  id: string;
  title: string;
  /** One line for the tab's tooltip. */
  summary: string;
  mount(container: HTMLElement, ctx: AppContext): () => void;
}
