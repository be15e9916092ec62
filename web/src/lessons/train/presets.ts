// Model sizes offered by the "Train a tiny model" lesson. Keys are the CharTrainer
// options of wasm/bindings.cpp; everything else takes the core's defaults.
import type { ModelOptions } from '../../core/protocol';

export interface Preset {
  id: string;
  label: string;
  options: Required<Pick<ModelOptions, 'dim' | 'n_layers' | 'n_heads' | 'n_kv_heads' | 'seq_len' | 'batch_size' | 'lr' | 'warmup'>>;
  steps: number;
}

export const PRESETS: Preset[] = [
  {
    id: 'micro',
    label: 'Micro — 1 layer, dim 32 (seconds)',
    options: { dim: 32, n_layers: 1, n_heads: 2, n_kv_heads: 1, seq_len: 32, batch_size: 8, lr: 1e-2, warmup: 5 },
    steps: 200,
  },
  {
    id: 'tiny',
    label: 'Tiny — 2 layers, dim 64',
    options: { dim: 64, n_layers: 2, n_heads: 4, n_kv_heads: 2, seq_len: 64, batch_size: 8, lr: 5e-3, warmup: 10 },
    steps: 300,
  },
  {
    id: 'small',
    label: 'Small — 4 layers, dim 128 (minutes)',
    options: { dim: 128, n_layers: 4, n_heads: 4, n_kv_heads: 2, seq_len: 64, batch_size: 8, lr: 2e-3, warmup: 20 },
    steps: 300,
  },
];

export const DEFAULT_PRESET = 'tiny';
