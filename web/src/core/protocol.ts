// Messages between the page (CoreClient) and the module worker that owns the wasm core.
//
// Every piece of work is a REQUEST with an id: {kind:'req', id, type, payload}. The worker answers
// with any number of {kind:'progress', id, data} and then exactly one {kind:'result', id, data} or
// {kind:'error', id, message}. {kind:'stop', id} asks request `id` (or every request when id is
// omitted) to finish early: handlers do their work in time slices (~50 ms) and look at the stop flag
// between slices, so a stop always lands within one slice. A stopped request still ends with a
// 'result' (handlers report how far they got).
//
// Extending: the request types are the keys of the RequestMap interface. A lesson adds its own in
// its own file with declaration merging, no edit here needed:
//
//   declare module '../../core/protocol' {
//     interface RequestMap {
//       'sft.step': { payload: SftStepPayload; progress: SftProgress; result: SftResult };
//     }
//   }
//
// and registers the worker side in web/src/lessons/<x>/worker_handlers.ts (picked up by the worker
// automatically, see web/src/core/worker_registry.ts).

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

/** What the worker knows about the current tokenizer and model (after any change). */
export interface SessionInfo {
  tokenizer: { type: string; vocabSize: number } | null;
  model: { config: Record<string, unknown>; paramCount: number; steps: number } | null;
  /** The packed training text, when there is one. */
  trainData: { trainTokens: number; valTokens: number; docs: number } | null;
  /** Bumped on every change of the tokenizer or the weights. */
  version: number;
}

export type TokenizerType = 'bpe' | 'wordpiece' | 'unigram';

/** A text as tokens: pieces[i] is token ids[i]'s text; spans are UTF-8 byte ranges into the input. */
export interface Encoded {
  ids: number[];
  pieces: string[];
  spans: Array<[number, number]>;
}

export interface TeachMerge {
  left: number;
  right: number;
  id: number;
  count: number;
  leftText: string;
  rightText: string;
  text: string;
}
export interface TeachWord {
  count: number;
  pieces: string[];
  ids: number[];
}

export interface MemoryInfo {
  params: number;
  groups: Record<'embedding' | 'positions' | 'attention' | 'ffn' | 'norms' | 'head', number>;
  weightsBytes: number;
  gradsBytes: number;
  adamBytes: number;
  activationBytes: number;
  kvBytesPerToken: number;
  kvBytesFullContext: number;
  config: Record<string, unknown>;
}

export interface AttentionMaps {
  layers: number;
  heads: number;
  kvHeads: number;
  T: number;
  /** probs[layer][head] = (T, T) row-major; row = query position */
  probs: number[][][];
  pieces: string[];
  ids: number[];
}

export interface LayerTelemetry {
  layer: number;
  actRms: number;
  actMax: number;
  gradNorm: number;
}
export interface StepInfo {
  step: number;
  loss: number;
  lr: number;
  gradNorm: number;
  skipped: boolean;
  tokens: number;
  tokensPerSec: number;
  telemetry?: LayerTelemetry[];
}

export interface SamplingOptions {
  temperature?: number;
  top_k?: number;
  top_p?: number;
  min_p?: number;
  repetition_penalty?: number;
  max_tokens?: number;
  seed?: number;
  stop?: string[];
}

/** The files of a checkpoint folder (runs/<name>/checkpoints/step_N/). */
export interface CheckpointFiles {
  'model.safetensors': Uint8Array;
  'config.json': string;
  'tokenizer.json': string;
}

/** The request types of the core lessons. Each entry: what goes in, what streams out, what comes back. */
export interface RequestMap {
  /** Which tokenizer/model the worker holds now. */
  'session.info': { payload: Record<string, never>; progress: never; result: SessionInfo };

  // ---- tokenizer lab (lessons/tokenizer/worker_handlers.ts) ----
  /** Trains one tokenizer and keeps it in the worker under its type; session: also make it the session tokenizer. */
  'tok.train': {
    payload: { type: TokenizerType; text: string; vocabSize: number; session: boolean };
    progress: never;
    result: { type: TokenizerType; vocabSize: number; seconds: number };
  };
  /** Encodes text with a trained tokenizer of that type, or the session one. */
  'tok.encode': { payload: { which: TokenizerType | 'session'; text: string }; progress: never; result: Encoded };
  /** Makes the trained tokenizer of that type the session tokenizer. */
  'tok.use': { payload: { type: TokenizerType }; progress: never; result: SessionInfo };
  /** Starts the teaching BPE on a text. */
  'tok.teachStart': { payload: { text: string; words: number }; progress: never; result: { distinctWords: number; words: TeachWord[] } };
  /** n more merges; each merge streams as progress. */
  'tok.teachStep': { payload: { n: number; words: number }; progress: TeachMerge; result: { merges: number; done: boolean; words: TeachWord[] } };
  /** The built-in story corpus. */
  'data.stories': { payload: { n: number; seed: number }; progress: never; result: { text: string } };

  // ---- model lab (lessons/model/worker_handlers.ts) ----
  /** Builds a throwaway model from a config: memory, and attention maps for text when given. */
  'model.inspect': {
    payload: { config: Record<string, unknown>; batch: number; seqLen: number; text: string; seed: number };
    progress: never;
    result: { memory: MemoryInfo; attention: AttentionMaps | null };
  };
  /** Attention maps of the session (trained) model. */
  'model.sessionAttention': { payload: { text: string }; progress: never; result: AttentionMaps };

  // ---- pretrain lab (lessons/train/worker_handlers.ts) ----
  /** A fresh session model from a training config (configs/pretrain keys, model inline). */
  'pretrain.build': { payload: { trainConfig: Record<string, unknown> }; progress: never; result: SessionInfo };
  /** Packs a text for training (trains a BPE tokenizer first when there is none or when asked). */
  'pretrain.data': {
    payload: { text: string; valFraction: number; seed: number; trainTokenizer: number };
    progress: never;
    result: SessionInfo;
  };
  /** New training settings (batch, seq_len, lr, schedule...) around the current weights; step and optimizer state carry over. */
  'pretrain.configure': { payload: { trainConfig: Record<string, unknown> }; progress: never; result: SessionInfo };
  /** The checkpoint files and the trainer state (optimizer moments, step, RNG) of the same step. */
  'pretrain.save': { payload: Record<string, never>; progress: never; result: { files: CheckpointFiles; state: Uint8Array; step: number } };
  /** Loads a checkpoint, applies the page's training config, then the saved trainer state when there is one. */
  'pretrain.restore': {
    payload: { safetensors: Uint8Array; config: string; tokenizer: string; trainConfig: Record<string, unknown>; state: Uint8Array | null };
    progress: never;
    result: SessionInfo;
  };
  /** Runs optimizer steps until `steps` more are done or stopped. */
  'pretrain.run': {
    payload: { steps: number; telemetryEvery: number; sampleEvery: number; evalEvery: number; prompt: string; sampleTokens: number };
    progress:
      | { type: 'step'; info: StepInfo }
      | { type: 'sample'; step: number; prompt: string; text: string }
      | { type: 'eval'; step: number; loss: number };
    result: { step: number; stopped: boolean };
  };

  // ---- generation and checkpoints (lessons/chat/worker_handlers.ts) ----
  /** Streams an answer of the session model; `chat` renders the messages with ChatML first. */
  'gen.run': {
    payload: { prompt: string; chat?: Array<{ role: string; content: string }>; sampling: SamplingOptions };
    progress: { text: string };
    result: { text: string; tokens: number; promptTokens: number; finishReason: string; tokensPerSec: number };
  };
  'ckpt.save': { payload: Record<string, never>; progress: never; result: CheckpointFiles };
  'ckpt.load': {
    payload: { safetensors: Uint8Array; config: string; tokenizer: string };
    progress: never;
    result: SessionInfo;
  };

}

export type RequestType = keyof RequestMap;
export type Payload<K extends RequestType> = RequestMap[K]['payload'];
export type Progress<K extends RequestType> = RequestMap[K]['progress'];
export type Result<K extends RequestType> = RequestMap[K]['result'];

export type ToWorker =
  | { kind: 'req'; id: number; type: string; payload: unknown }
  /** id omitted: stop everything that is running */
  | { kind: 'stop'; id?: number };

export type FromWorker =
  /** threads: how many the core computes with (1 in the single-thread build) */
  | { kind: 'ready'; version: string; crossOriginIsolated: boolean; threads: number }
  | { kind: 'progress'; id: number; data: unknown }
  | { kind: 'result'; id: number; data: unknown }
  /** id null: not tied to a request (the core failed to load) */
  | { kind: 'error'; id: number | null; message: string }
  /** The tokenizer or the model changed (any lesson may redraw). */
  | { kind: 'session'; info: SessionInfo };
