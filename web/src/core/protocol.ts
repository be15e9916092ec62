// Messages between the page (CoreClient) and the module worker that owns the wasm core.
// The worker is the only place wasm runs, so a long training loop never blocks the UI.
// Later lessons (tokenizer, SFT/DPO, paged KV, chat) add variants to these two unions.

/** Keys of the CharTrainer options JSON (core/train/char_trainer.h); all optional, unknown keys are an error. */
export interface ModelOptions {
  dim?: number;
  n_layers?: number;
  n_heads?: number;
  n_kv_heads?: number;
  ffn?: 'swiglu' | 'gelu_mlp';
  norm?: 'rmsnorm' | 'layernorm' | 'qwen2_rmsnorm';
  pos?: 'rope' | 'alibi' | 'learned' | 'sinusoidal' | 'none';
  dropout?: number;
  seq_len?: number;
  batch_size?: number;
  lr?: number;
  min_lr?: number;
  warmup?: number;
  /** Length of the cosine learning-rate schedule. */
  max_steps?: number;
  weight_decay?: number;
  grad_clip?: number;
}

export interface TrainRequest {
  type: 'start';
  text: string;
  model: ModelOptions;
  steps: number;
  /** Post a sample every this many steps (0 = only at the end). */
  sampleEvery: number;
  sampleChars: number;
  temperature: number;
  prompt: string;
  seed: number;
}

export interface SampleRequest {
  type: 'sample';
  prompt: string;
  maxNewTokens: number;
  temperature: number;
  seed: number;
}

export type ToWorker = TrainRequest | SampleRequest | { type: 'stop' };

export type FromWorker =
  | { type: 'ready'; version: string; crossOriginIsolated: boolean }
  | { type: 'built'; paramCount: number; vocabSize: number; config: Record<string, unknown> }
  | { type: 'step'; step: number; loss: number; tokensPerSec: number; lr: number; gradNorm: number }
  /** text is the continuation only; the prompt it followed is sent beside it. */
  | { type: 'sample'; step: number; prompt: string; text: string }
  | { type: 'done'; step: number; stopped: boolean }
  | { type: 'error'; message: string };
