// Worker side, shared by the SFT and DPO labs: greedy answers to the first k held-out prompts,
// ONE per step of ctx.slices (each is a whole generation), streamed as progress, so a stop lands
// between two answers. `tr` is an SftTrainer or a DpoTrainer (wasm/align_bindings.cpp).
import type { HandlerContext } from '../../core/worker_registry';

interface Answerer {
  answerCount(): number;
  answerJson(i: number, maxNew: number): string;
}

export async function sliceAnswers<A>(tr: Answerer, k: number, maxNew: number, ctx: HandlerContext) {
  const n = Math.min(k, tr.answerCount());
  const answers: A[] = [];
  const stopped = await ctx.slices(() => {
    if (answers.length >= n) return false;
    const a = JSON.parse(tr.answerJson(answers.length, maxNew)) as A;
    answers.push(a);
    ctx.progress(a);
    return answers.length < n;
  });
  return { answers, stopped };
}
