#!/usr/bin/env bash
# `llm chat` and `llm generate` end to end with piped stdin, on a tiny checkpoint the CLI trains
# in a few steps: answers stream to stdout and tokens/s to stderr, /clear forgets the history
# (the same greedy question gets the same answer again), /quit stops reading, `generate` with the
# ChatML prompt written by hand gives the chat's greedy answer, --quantize and --int8-activations run, `eval all --quantize` runs, and a LoRA adapter
# merged at load time (--adapter) equals the LoRA checkpoint.
# usage: chat_cli_test.sh path/to/llm
set -euo pipefail
LLM="$1"
W="$(mktemp -d)"
trap 'rm -rf "$W"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
export OMP_NUM_THREADS=1

"$LLM" data generate stories --n 200 --seed 3 --out "$W/corpus.txt" >/dev/null
mkdir -p "$W/data"
"$LLM" tokenizer train --input "$W/corpus.txt" --vocab-size 400 --out "$W/data/tokenizer.json" >/dev/null
"$LLM" data pack --input "$W/corpus.txt" --tokenizer "$W/data/tokenizer.json" --out "$W/data" --val-fraction 0.1 >/dev/null
cat > "$W/cfg.json" <<JSON
{"model": {"dim": 32, "n_layers": 2, "n_heads": 4, "n_kv_heads": 2, "vocab_size": 400, "max_seq_len": 64},
 "data_dir": "$W/data", "out_dir": "$W/run", "batch_size": 4, "seq_len": 32, "max_steps": 2,
 "warmup_steps": 1, "lr": 0.003, "eval_every": 2, "eval_batches": 1, "checkpoint_every": 2, "seed": 5}
JSON
"$LLM" pretrain --config "$W/cfg.json" --out "$W/run" --threads 1 > "$W/pretrain.log" 2>&1 || fail "pretrain: $(tail -5 "$W/pretrain.log")"

chat() { "$LLM" chat --checkpoint "$W/run" --temperature 0 --max-tokens 12 --threads 1 "$@"; }
printf 'hello there\n' | chat > "$W/a.txt" 2> "$W/a.err" || fail "chat: $(cat "$W/a.err")"
printf 'hello there\nhow are you\n/clear\nhello there\n/quit\nnever read\n' | chat > "$W/b.txt" 2> "$W/b.err" \
  || fail "chat: $(cat "$W/b.err")"
A="$(cat "$W/a.txt"; echo x)"; A="${A%x}"   # keep trailing newlines
B="$(cat "$W/b.txt"; echo x)"; B="${B%x}"
[ "$(grep -c 'tokens/s' "$W/a.err")" = 1 ] || fail "one answer expected: $(cat "$W/a.err")"
[ "$(grep -c 'tokens/s' "$W/b.err")" = 3 ] || fail "three answers expected (/quit stops reading): $(cat "$W/b.err")"
grep -q "conversation cleared" "$W/b.err" || fail "/clear not acknowledged"
[ -n "$A" ] || fail "empty output"
[[ "$B" == "$A"* ]] || fail "first answer differs between runs"
[[ "$B" == *"$A" ]] || fail "after /clear the same question gave another answer (history not cleared)"
[ "${#B}" -gt "$(( 2 * ${#A} ))" ] || fail "the second answer is missing"

# generate with the ChatML prompt spelled out == the chat's first greedy answer
"$LLM" generate --checkpoint "$W/run" --prompt $'<|im_start|>user\nhello there<|im_end|>\n<|im_start|>assistant\n' \
  --temperature 0 --max-tokens 12 --threads 1 > "$W/g.txt" 2> "$W/g.err" || fail "generate: $(cat "$W/g.err")"
cmp -s "$W/g.txt" "$W/a.txt" || fail "generate '$(cat "$W/g.txt")' != chat '$(cat "$W/a.txt")'"
grep -q "tokens/s" "$W/g.err" || fail "generate prints no tokens/s"
# the fp16 KV cache generates (its text may differ from fp32 by rounding); a bad dtype is named
"$LLM" generate --checkpoint "$W/run" --prompt "Once upon a time" --temperature 0 --max-tokens 12 --threads 1 \
  --kv-dtype f16 > "$W/g16.txt" 2> "$W/g16.err" || fail "generate --kv-dtype f16: $(cat "$W/g16.err")"
[ -s "$W/g16.txt" ] || fail "generate --kv-dtype f16 printed nothing"
if "$LLM" generate --checkpoint "$W/run" --prompt "x" --kv-dtype f8 > /dev/null 2> "$W/kvbad.err"; then
  fail "generate --kv-dtype f8 succeeded"
fi
grep -q "kv-dtype.*f8" "$W/kvbad.err" || fail "bad --kv-dtype error does not name the flag and value: $(cat "$W/kvbad.err")"

printf 'hello\n' | chat --quantize > /dev/null 2> "$W/q.err" || fail "chat --quantize: $(cat "$W/q.err")"
grep -q "tokens/s" "$W/q.err" || fail "chat --quantize printed no tokens/s"
printf 'hello\n' | chat --int8-activations > /dev/null 2> "$W/q8.err" || fail "chat --int8-activations: $(cat "$W/q8.err")"
grep -q "int8x8" "$W/q8.err" || fail "chat --int8-activations does not say it runs int8 x int8: $(cat "$W/q8.err")"
# a LoRA adapter (llm sft, lora: true) loads on top of the base: --checkpoint BASE --adapter LORA
# gives the greedy text of the LoRA checkpoint (whose model.safetensors holds the merged weights)
cat > "$W/lora.json" <<JSON
{"stage": "sft", "base": "$W/run", "out_dir": "$W/lora", "data": "generated", "n_train": 64, "n_eval": 4,
 "batch_size": 2, "seq_len": 64, "max_steps": 3, "lr": 0.05, "warmup_steps": 1, "eval_every": 0, "log_every": 1,
 "max_new_tokens": 8, "eval_base": false, "lora": true, "lora_rank": 4, "lora_alpha": 8,
 "lora_targets": ["q_proj", "v_proj", "down_proj", "lm_head"], "seed": 1}
JSON
"$LLM" sft --config "$W/lora.json" --threads 1 > "$W/lora.log" 2>&1 || fail "sft lora: $(tail -5 "$W/lora.log")"
gen() { "$LLM" generate --prompt "Once upon a time" --temperature 0 --max-tokens 16 --threads 1 "$@"; }
gen --checkpoint "$W/lora" > "$W/l1.txt" 2> "$W/l1.err" || fail "generate lora: $(cat "$W/l1.err")"
gen --checkpoint "$W/run" --adapter "$W/lora" > "$W/l2.txt" 2> "$W/l2.err" || fail "generate --adapter: $(cat "$W/l2.err")"
grep -q "merged LoRA adapter" "$W/l2.err" || fail "--adapter did not say it merged: $(cat "$W/l2.err")"
cmp -s "$W/l1.txt" "$W/l2.txt" || fail "base + adapter '$(cat "$W/l2.txt")' != lora checkpoint '$(cat "$W/l1.txt")'"
printf 'hello\n' | chat --adapter "$W/lora" > /dev/null 2> "$W/ca.err" || fail "chat --adapter: $(cat "$W/ca.err")"
if gen --checkpoint "$W/run" --adapter "$W/run" > /dev/null 2> "$W/e2.err"; then fail "a folder without an adapter must fail"; fi
grep -q "adapter_config.json" "$W/e2.err" || fail "no clear error for a missing adapter: $(cat "$W/e2.err")"

# eval --quantize: math generates with the int8 model, mcq scores the int8-rounded weights
"$LLM" eval all --checkpoint "$W/run" --limit 2 --n-gen 2 --max-new 4 --quantize --threads 1 --out "$W/q.json" \
  > "$W/eq.log" 2>&1 || fail "eval all --quantize: $(tail -5 "$W/eq.log")"
grep -q "int8: weights quantized" "$W/eq.log" || fail "eval --quantize did not say it quantized: $(tail -5 "$W/eq.log")"
grep -q '"arith_gen"' "$W/q.json" || fail "eval --quantize wrote no arith_gen result"

# the benchmarks run end to end (their numbers live in the JSON and are not checked here)
"$LLM" bench serve --checkpoint "$W/run" --concurrency 1,2 --tokens 8 --threads 1 > "$W/bs.json" 2> "$W/bs.err" \
  || fail "bench serve: $(tail -5 "$W/bs.err")"
grep -q '"streams_ok": 2' "$W/bs.json" || fail "bench serve: the 2-stream level did not finish both streams: $(cat "$W/bs.json")"
# every server row says what the process and its load generator spent, and how much the host stole
node -e '
const d = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
for (const r of d.serve) {
  const c = r.cpu_ms_per_step;
  if (!c || !(c.process > 0) || !(c.load_generator >= 0) || c.load_generator > c.process ||
      !(r.cpu_steal_pct >= 0 && r.cpu_steal_pct <= 100)) { console.error("bad cpu fields: " + JSON.stringify(r)); process.exit(1); }
}' "$W/bs.json" || fail "bench serve cpu fields: $(cat "$W/bs.json")"
"$LLM" bench serve --checkpoint "$W/run" --concurrency 1,2 --tokens 8 --threads 1 --engine-only > "$W/be.json" 2> "$W/be.err" \
  || fail "bench serve --engine-only: $(tail -5 "$W/be.err")"
grep -q '"generated_tokens": 16' "$W/be.json" || fail "bench serve --engine-only: 2 x 8 tokens expected: $(cat "$W/be.json")"
# --rounds 3: every level three times, interleaved; the row keeps all three rounds and the paired ratios
"$LLM" bench serve --checkpoint "$W/run" --concurrency 1,2 --tokens 8 --threads 1 --engine-only --rounds 3 > "$W/br.json" 2> "$W/br.err" \
  || fail "bench serve --rounds 3: $(tail -5 "$W/br.err")"
node -e '
const d = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const two = d.serve.find(r => r.concurrency === 2);
if (!two || two.rounds !== 3 || two.rounds_aggregate_tokens_per_s.length !== 3 || two.rounds_vs_1_stream.length !== 3)
  { console.error("rounds missing: " + JSON.stringify(two)); process.exit(1); }
const sorted = [...two.rounds_vs_1_stream].sort((a, b) => a - b);
if (two.aggregate_vs_1_stream !== sorted[1]) { console.error("ratio is not the median round"); process.exit(1); }
// where a step goes: every phase >= 0, the GEMVs and the attention took time, and the phases
// add up to the measured ms per engine step
const ph = two.ms_per_step_by_phase, names = ["embed", "norm", "gemv", "attention", "act", "residual", "head", "outside_forward"];
if (!ph || names.some(k => typeof ph[k] !== "number" || ph[k] < 0) || !(ph.gemv > 0) || !(ph.attention > 0))
  { console.error("bad phase breakdown: " + JSON.stringify(ph)); process.exit(1); }
const sum = names.reduce((a, k) => a + ph[k], 0);
if (Math.abs(sum - two.ms_per_engine_step) > 1e-6 * Math.max(1, sum)) { console.error("phases sum to " + sum + " ms, not " + two.ms_per_engine_step); process.exit(1); }
' "$W/br.json" || fail "bench serve --rounds 3: $(cat "$W/br.json")"
"$LLM" bench gemv --config tiny --threads 1 --rows 1,4 --reps 2 > "$W/bg.json" 2> "$W/bg.err" || fail "bench gemv: $(cat "$W/bg.err")"
# one result per row count, both layouts measured hot and as a whole-model step, and their ratio
node -e '
const g = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).gemv, r = g.results;
const ok = (m) => m && m.hot_gflops > 0 && m.step_us > 0 && m.step_gflops > 0;
if (!(g.panel_width > 0) || r.length !== 2 || r[0].rows !== 1 || r[1].rows !== 4 ||
    r.some(x => !ok(x.row_major) || !ok(x.panels) || !(x.panels_vs_row_major_step > 0)))
  { console.error("bad bench gemv output"); process.exit(1); }
' "$W/bg.json" || fail "bench gemv: $(cat "$W/bg.json")"

if "$LLM" generate --checkpoint "$W/nowhere" --prompt x > /dev/null 2> "$W/e.err"; then fail "a missing checkpoint must fail"; fi
echo "chat_cli_test: ok"
