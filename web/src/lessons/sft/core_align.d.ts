// Types of the Embind classes of wasm/align_bindings.cpp and wasm/engine_bindings.cpp (ALIGN-WEB),
// merged into the module's LlmCore interface (web/src/llm_core.d.ts holds the rest).
// Every *Json method returns JSON text; the shapes are the interfaces in ../sft/align_types.ts.

declare module '@llm-core/llm_core.mjs' {
  /** Builds a BPE tokenizer with the chat specials + a tiny model as the current ones; step() pretrains it. */
  export interface AlignBasePretrainer extends EmbindObject {
    step(): number;
    stepsDone(): number;
    maxSteps(): number;
    paramCount(): number;
    vocabSize(): number;
    streamTokens(): number;
  }
  /** SFT of a copy of the current model (full or LoRA); commit() makes it the current model. */
  export interface SftTrainer extends EmbindObject {
    step(): string;
    evalLoss(): number;
    baseEvalLoss(): number;
    maskJson(i: number): string;
    /** JSON SftAnswer[] of the first k held-out prompts. */
    answersJson(k: number, maxNew: number): string;
    /** JSON SftAnswer of held-out prompt i (0 <= i < answerCount()). */
    answerJson(i: number, maxNew: number): string;
    answerCount(): number;
    commit(): void;
    infoJson(): string;
    stepsDone(): number;
  }
  /** DPO of a copy of the current model against a frozen reference (the model at start). */
  export interface DpoTrainer extends EmbindObject {
    step(): string;
    evaluate(): string;
    /** JSON DpoAnswer[] of the first k held-out pairs. */
    answersJson(k: number, maxNew: number): string;
    /** JSON DpoAnswer of held-out pair i (0 <= i < answerCount()). */
    answerJson(i: number, maxNew: number): string;
    answerCount(): number;
    commit(): void;
    infoJson(): string;
    stepsDone(): number;
  }
  /** The paged continuous-batching engine over the current model (or a random byte model). */
  export interface PagedEngine extends EmbindObject {
    addRequest(prompt: string, n: number, temperature: number, maxTokens: number, seed: number): number;
    abort(requestId: number): void;
    hasWork(): boolean;
    step(): string;
    snapshotJson(): string;
    /** Throws when the engine's internal bookkeeping is inconsistent. */
    check(): void;
  }

  export interface LlmCore {
    /** JSON {has_tokenizer, has_model, chat_ready, reason?, params?, config?} */
    alignBaseStatus(): string;
    AlignBasePretrainer: new (optionsJson: string) => AlignBasePretrainer;
    /** optionsJson: AlignConfig keys (core/align/align_config.h); unknown keys throw. */
    SftTrainer: new (optionsJson: string) => SftTrainer;
    DpoTrainer: new (optionsJson: string) => DpoTrainer;
    PagedEngine: new (optionsJson: string) => PagedEngine;
  }
}
