// Types of the Embind module built from wasm/*.cpp (CMake writes it to
// web/generated/llm_core.{mjs,wasm}; the `@llm-core` alias in vite.config.ts points there).
// Embind objects live on the wasm heap: call delete() when done with them.
// Every function throws a JS Error with the core's message on bad input.

declare module '@llm-core/llm_core.mjs' {
  export interface EmbindObject {
    delete(): void;
  }

  /** A character-level model + AdamW trainer over a text (one vocab symbol per character). */
  export interface CharTrainer extends EmbindObject {
    paramCount(): number;
    vocabSize(): number;
    /** The model config actually used (after defaults), as JSON text. */
    configJson(): string;
    /** batch_size * seq_len */
    tokensPerStep(): number;
    stepsDone(): number;
    /** Learning rate and gradient norm (before clipping) of the last step. */
    lastLr(): number;
    lastGradNorm(): number;
    /** Mean loss over `batches` fixed windows of the held-out last 10% of the text. */
    evalLoss(batches: number): number;
    /** One optimizer step on a random batch; returns the training loss (nats/char). */
    step(): number;
    /** Generates up to maxNewTokens characters after the prompt. Same seed => same text. */
    sample(prompt: string, maxNewTokens: number, temperature: number, seed: number): string;
  }

  /** wasm/tokenizer_bindings.cpp: any tokenizer of core/tokenizer. */
  export interface Tokenizer extends EmbindObject {
    type(): 'bpe' | 'wordpiece' | 'unigram';
    vocabSize(): number;
    encode(text: string): Int32Array;
    /** JSON {ids: number[], pieces: string[], spans: [begin, end][] (UTF-8 byte offsets)} */
    encodeJson(text: string): string;
    decode(ids: ArrayLike<number>): string;
    idToToken(id: number): string;
    /** Hugging Face tokenizer.json */
    toJson(): string;
  }

  /** The teaching BPE (core/tokenizer/bpe_teaching.h), one merge per step(). */
  export interface BpeTeacher extends EmbindObject {
    /** JSON {left, right, id, count, leftText, rightText, text}, or '' when no pair is left. */
    step(): string;
    mergeCount(): number;
    /** JSON [{count, pieces: string[], ids: number[]}] of the most frequent words. */
    wordsJson(limit: number): string;
    distinctWords(): number;
  }

  /** wasm/model_bindings.cpp: a standalone model for the Model lab (not the session model). */
  export interface Model extends EmbindObject {
    paramCount(): number;
    configJson(): string;
    /** JSON MemoryInfo (see core/protocol.ts) for a batch B x T. */
    memoryJson(B: number, T: number): string;
    /** JSON AttentionMaps for the token ids. */
    attentionJson(ids: ArrayLike<number>): string;
  }

  /** wasm/infer_bindings.cpp: one streamed answer from the session model. */
  export interface Generator extends EmbindObject {
    /** One engine step; returns the newly decoded text (possibly ''). */
    next(): string;
    done(): boolean;
    tokens(): number;
    promptTokens(): number;
    finishReason(): string;
    lastToken(): number;
  }

  export interface LlmCore {
    version(): string;
    /** optionsJson: see ModelOptions in src/core/protocol.ts; unknown keys throw. */
    CharTrainer: new (text: string, optionsJson: string, seed: number) => CharTrainer;
    /** Runs a PyTorch reference fixture; returns JSON {logits, loss, grads, worst} (relative errors). */
    runFixture(configJson: string, safetensorsBytes: Uint8Array): string;

    // ---- tokenizers ----
    trainTokenizer(type: string, text: string, vocabSize: number): Tokenizer;
    tokenizerFromJson(json: string): Tokenizer;
    /** Makes tok the session tokenizer (used by training, generation, checkpoints). */
    setSessionTokenizer(tok: Tokenizer): void;
    /** A handle on the session tokenizer, or null. */
    sessionTokenizer(): Tokenizer | null;
    BpeTeacher: new (text: string) => BpeTeacher;

    // ---- models ----
    Model: new (configJson: string, seed: number) => Model;
    /** Attention maps of the session model on `text` (first 64 tokens), with ids and pieces. */
    sessionAttentionJson(text: string): string;
    sessionMemoryJson(B: number, T: number): string;

    // ---- session and pretraining (wasm/train_bindings.cpp) ----
    /** JSON SessionInfo (core/protocol.ts). */
    sessionInfoJson(): string;
    /** A train config (configs/pretrain keys, "model" an object) -> a fresh session model; returns SessionInfo JSON. */
    buildModel(trainConfigJson: string): string;
    /**
     * Rebuilds the session trainer with another train config around the current weights (the
     * architecture stays; seq_len is capped at its context); optimizer state, step and RNG carry
     * over. Returns SessionInfo JSON.
     */
    configureTraining(trainConfigJson: string): string;
    /** The trainer state (Trainer::save_state: optimizer moments, step, RNG) as safetensors bytes. */
    saveTrainerState(): Uint8Array;
    /** Puts a saved trainer state into the session trainer (same parameter count); returns its step. */
    loadTrainerState(bytes: Uint8Array): number;
    /** Packs text (documents at blank lines) with the session tokenizer; returns SessionInfo JSON. */
    setTrainText(text: string, valFraction: number, seed: number): string;
    /** One optimizer step; JSON StepInfo. */
    trainStep(telemetry: boolean): string;
    /** Mean validation loss (NaN without a validation split). */
    evalLoss(batches: number): number;
    /** The built-in story corpus: n stories, blank-line separated. */
    generateStories(n: number, seed: number): string;
    trainConfigJson(): string;

    // ---- inference ----
    Generator: new (prompt: string, samplingJson: string) => Generator;
    chatPrompt(messagesJson: string): string;

    // ---- checkpoints ----
    saveCheckpoint(): { 'model.safetensors': Uint8Array; 'config.json': string; 'tokenizer.json': string };
    /** Returns JSON {params, config, tokenizer}. */
    loadCheckpoint(safetensors: Uint8Array, configJson: string, tokenizerJson: string): string;
  }

  export interface LlmCoreOptions {
    /** Bytes of llm_core.wasm (Node: Emscripten 3.1.6's fetch-based loader fails there). */
    wasmBinary?: ArrayBuffer | Uint8Array;
    /** Browser: map 'llm_core.wasm' to the URL the bundler gave it. */
    locateFile?: (path: string, scriptDirectory: string) => string;
    print?: (text: string) => void;
    printErr?: (text: string) => void;
  }

  const createLlmCore: (options?: LlmCoreOptions) => Promise<LlmCore>;
  export default createLlmCore;
}
