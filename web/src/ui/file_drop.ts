// A drop zone for files that also works by click, touch and keyboard: a <label> (role=button, the
// only tab stop) for a visually hidden <input type=file>. Click or tap opens the picker (a label's
// own behaviour), Enter or Space does too, and files dropped on it are taken as if picked.
import { h } from './dom';

export interface FileDropOptions {
  /** id of the zone */
  id: string;
  /** id of the file input (tests set files on it) */
  inputId: string;
  text: string;
  /** CSS class of the zone: 'drop' (core lessons) or 'dropzone' (ALIGN-WEB labs) */
  className?: string;
  accept?: string;
  multiple?: boolean;
  onFiles(files: File[]): void;
  /** Replaces the default handling of a drop (its files), e.g. to walk a dropped folder. */
  onDrop?(data: DataTransfer): void;
}

export function fileDrop(o: FileDropOptions): { zone: HTMLLabelElement; input: HTMLInputElement } {
  const input = h('input', { type: 'file', id: o.inputId, class: 'sr-only', tabindex: -1, accept: o.accept, multiple: o.multiple });
  const zone = h('label', { class: o.className ?? 'drop', id: o.id, for: o.inputId, role: 'button', tabindex: 0 }, o.text);
  input.addEventListener('change', () => {
    const files = Array.from(input.files ?? []);
    input.value = '';  // picking the same file again fires change again
    if (files.length) o.onFiles(files);
  });
  zone.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      input.click();
    }
  });
  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    if (!e.dataTransfer) return;
    if (o.onDrop) o.onDrop(e.dataTransfer);
    else if (e.dataTransfer.files.length) o.onFiles(Array.from(e.dataTransfer.files));
  });
  return { zone, input };
}
