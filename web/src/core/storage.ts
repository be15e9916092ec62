// Checkpoints in the browser: one IndexedDB store, key = name, value = the checkpoint files (and
// whatever the lesson stores beside them, see StoredCheckpoint).
// Downloading writes the same three files `llm pretrain` writes into a checkpoint folder.
import type { CheckpointFiles } from './protocol';

const DB = 'llm-from-scratch';
const STORE = 'checkpoints';

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB is not available'));
  });
}

async function tx<T>(mode: IDBTransactionMode, fn: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await open();
  try {
    return await new Promise<T>((resolve, reject) => {
      const r = fn(db.transaction(STORE, mode).objectStore(STORE));
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error ?? new Error('IndexedDB request failed'));
    });
  } finally {
    db.close();
  }
}

/**
 * One stored record: the three checkpoint files plus what the lesson keeps beside them in the same
 * record (the Pretrain lab: trainer state, step, curves), so they are written together. Records
 * of older versions may lack the extras, hence Partial.
 */
export type StoredCheckpoint<Extra extends object = object> = CheckpointFiles & Partial<Extra>;

export const saveCheckpoint = <E extends object>(name: string, record: StoredCheckpoint<E>) =>
  tx('readwrite', (s) => s.put(record, name)).then(() => undefined);
export const loadCheckpoint = <E extends object>(name: string) => tx<StoredCheckpoint<E> | undefined>('readonly', (s) => s.get(name));

export function downloadFiles(files: CheckpointFiles): void {
  for (const [name, data] of Object.entries(files) as Array<[string, Uint8Array | string]>) {
    const blob = new Blob([data as BlobPart], { type: name.endsWith('.json') ? 'application/json' : 'application/octet-stream' });
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = name;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  }
}
