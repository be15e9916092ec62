// Shapes of the JSON the align/engine bindings return, and the request types of the SFT, DPO and
// Paged KV labs (added to the worker protocol by declaration merging, see core/protocol.ts).

export interface BaseStatus {
  has_tokenizer: boolean;
  has_model: boolean;
  /** Tokenizer has <|im_start|>/<|im_end|>/<|endoftext|> and a model exists. */
  chat_ready: boolean;
  reason?: string;
  params?: number;
  config?: Record<string, unknown>;
}

export interface PolicyInfo {
  trainable_params: number;
  base_params: number;
  lora: boolean;
  lora_layers?: string[];
  rank?: number;
  alpha?: number;
  n_train: number;
  n_eval: number;
  seq_len?: number;
  beta?: number;
  reference?: string;
}

export interface SftStep {
  step: number;
  loss: number;
  lr: number;
  grad_norm: number;
  tokens: number;
  scored: number;
}

export interface MaskView {
  tokens: string[];
  ids: number[];
  /** 1 = the loss is computed on this token (an assistant reply and its <|im_end|>). */
  mask: number[];
  task: string;
}

export interface SftAnswer {
  prompt: string;
  reference: string;
  answer: string;
  before: string;
  after: string;
  correct: boolean;
}

export interface DpoStep {
  step: number;
  loss: number;
  accuracy: number;
  margin: number;
  chosen: number;
  rejected: number;
  lr: number;
  grad_norm: number;
  tokens: number;
}

export interface DpoEval {
  step: number;
  accuracy: number;
  margin: number;
  logp_accuracy: number;
  loss: number;
  n: number;
}

export interface DpoAnswer {
  prompt: string;
  chosen: string;
  rejected: string;
  reason: string;
  before: string;
  after: string;
}

/** AlignConfig keys the labs set (core/align/align_config.h). */
export interface AlignOptions {
  lora?: boolean;
  lora_rank?: number;
  lora_alpha?: number;
  lora_targets?: string[];
  lr?: number;
  min_lr?: number;
  batch_size?: number;
  seq_len?: number;
  n_train?: number;
  n_eval?: number;
  max_steps?: number;
  warmup_steps?: number;
  seed?: number;
  packing?: boolean;
  beta?: number;
  weight_decay?: number;
}

export interface BaseOptions {
  vocab_size?: number;
  dim?: number;
  n_layers?: number;
  n_heads?: number;
  seq_len?: number;
  batch_size?: number;
  lr?: number;
  steps?: number;
  n_stories?: number;
  n_chats?: number;
  seed?: number;
}

// ---- paged engine ----
export interface MemEvent {
  kind: 'alloc' | 'share' | 'cow' | 'release' | 'free';
  block: number;
  request?: number;
  index?: number;
  logical?: number;
  from?: number;
  ref?: number;
  revived?: boolean;
}

export interface TokenEvent {
  request: number;
  index: number;
  token: number;
  text: string;
  finished: boolean;
  reason: string;
}

export interface SeqView {
  request: number;
  index: number;
  state: 'waiting' | 'running' | 'finished';
  length: number;
  block_table: number[];
  prompt: string;
  prompt_tokens: number;
  text: string;
  reason: string;
}

export interface PoolSnapshot {
  num_blocks: number;
  block_size: number;
  free_blocks: number;
  ref_count: number[];
  block_tokens: number[];
  cached: number[];
  owners: Array<Array<[number, number]>>;
  seqs: SeqView[];
  waiting: number;
  running: number;
  used_blocks: number;
  shared_blocks: number;
  filled_slots: number;
  slots: number;
  waste_slots: number;
  occupancy: number;
  saved_blocks: number;
  preemptions: number;
  prefix_hits: number;
  cow_copies: number;
  tokens_generated: number;
  prompt_tokens: number;
  requests_added: number;
  requests_finished: number;
  steps: number;
  last_batch_tokens: number;
  last_batch_seqs: number;
  kv_bytes: number;
  byte_model: boolean;
}

export interface EngineOptions {
  block_size?: number;
  num_blocks?: number;
  max_num_seqs?: number;
  max_batched_tokens?: number;
  prefix_sharing?: boolean;
  model?: 'current' | 'random';
}

export interface PagedStep {
  tokens: TokenEvent[];
  events: MemEvent[];
  snapshot: PoolSnapshot;
  hasWork: boolean;
}

export interface RequestSpec {
  prompt: string;
  n: number;
  temperature: number;
  maxTokens: number;
  seed: number;
}

declare module '../../core/protocol' {
  interface RequestMap {
    'align.status': { payload: Record<string, never>; progress: never; result: BaseStatus };
    'align.base': {
      payload: BaseOptions;
      progress: { step: number; steps: number; loss: number };
      result: { steps: number; stopped: boolean; loss: number; params: number; vocab: number };
    };
    'sft.start': {
      payload: { options: AlignOptions; steps: number; evalEvery: number; maskExample: number };
      progress:
        | { type: 'info'; info: PolicyInfo; mask: MaskView; baseLoss: number }
        | { type: 'step'; step: SftStep }
        | { type: 'eval'; step: number; loss: number };
      result: { steps: number; stopped: boolean; loss: number };
    };
    'sft.mask': { payload: { index: number }; progress: never; result: MaskView };
    /** Greedy answers to the first k held-out prompts, one streamed per progress message. */
    'sft.answers': { payload: { k: number; maxNew: number }; progress: SftAnswer; result: { answers: SftAnswer[]; stopped: boolean } };
    'sft.commit': { payload: Record<string, never>; progress: never; result: { ok: true } };
    'dpo.start': {
      payload: { options: AlignOptions; steps: number; evalEvery: number };
      progress: { type: 'info'; info: PolicyInfo; eval: DpoEval } | { type: 'step'; step: DpoStep } | { type: 'eval'; eval: DpoEval };
      result: { steps: number; stopped: boolean; eval: DpoEval };
    };
    'dpo.answers': { payload: { k: number; maxNew: number }; progress: DpoAnswer; result: { answers: DpoAnswer[]; stopped: boolean } };
    'dpo.commit': { payload: Record<string, never>; progress: never; result: { ok: true } };
    'paged.create': { payload: EngineOptions; progress: never; result: PoolSnapshot };
    'paged.add': { payload: { requests: RequestSpec[] }; progress: never; result: PoolSnapshot };
    'paged.step': { payload: Record<string, never>; progress: never; result: PagedStep };
    'paged.play': { payload: { delayMs: number; maxSteps: number }; progress: PagedStep; result: { steps: number; stopped: boolean } };
  }
}
