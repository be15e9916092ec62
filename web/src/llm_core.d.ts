// Types of the Embind module built from wasm/bindings.cpp (CMake writes it to
// web/generated/llm_core.{mjs,wasm}; the `@llm-core` alias in vite.config.ts points there).
// Embind objects live on the wasm heap: call delete() when done with them.

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

  export interface LlmCore {
    version(): string;
    /** optionsJson: see ModelOptions in src/core/protocol.ts; unknown keys throw. */
    CharTrainer: new (text: string, optionsJson: string, seed: number) => CharTrainer;
    /** Runs a PyTorch reference fixture; returns JSON {logits, loss, grads, worst} (relative errors). */
    runFixture(configJson: string, safetensorsBytes: Uint8Array): string;
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
