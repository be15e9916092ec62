#!/usr/bin/env bash
# llama2.c interop end to end: models exported by `llm export llama2c` run in Karpathy's run.c
# (temperature 0) and print exactly the greedy continuation our own decoder prints, for MHA and
# GQA, tied and untied heads, re-laid-out and kept ids; `llm import llama2c` reads them back
# (re-export is byte-identical); a truncated model.bin gives an error naming the offset.
# Needs a built run.c: LLAMA2C_RUN=/path/to/llama2.c/run (gcc -O3 -march=native -fopenmp run.c -lm).
# usage: llama2c_interop_test.sh path/to/llm        (exit 77 = skipped)
set -euo pipefail
LLM="$1"
if [ -z "${LLAMA2C_RUN:-}" ]; then
  echo "SKIP: set LLAMA2C_RUN to a built llama2.c run binary to run the run.c interop test"
  exit 77
fi
[ -x "$LLAMA2C_RUN" ] || { echo "FAIL: LLAMA2C_RUN=$LLAMA2C_RUN is not executable" >&2; exit 1; }
W="$(mktemp -d)"
trap 'rm -rf "$W"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
export OMP_NUM_THREADS=1

"$LLM" data generate stories --n 400 --seed 3 --out "$W/corpus.txt" >/dev/null
"$LLM" tokenizer train --input "$W/corpus.txt" --vocab-size 512 --out "$W/tokenizer.json" >/dev/null

model() {  # name n_kv_heads tie_embeddings
  cat > "$W/$1.json" <<JSON
{"dim": 64, "n_layers": 2, "n_heads": 4, "n_kv_heads": $2, "vocab_size": 520, "max_seq_len": 64,
 "tie_embeddings": $3, "init_std": 0.1}
JSON
}
model mha 4 false
model gqa 2 true

verify() {  # out_dir log_name extra export args...
  local out="$1" log="$2"
  shift 2
  "$LLM" export llama2c "$@" --out "$out" --verify "$LLAMA2C_RUN" --prompt "Once upon a time" --steps 48 \
    > "$W/$log.log" 2>&1 || fail "$log: $(cat "$W/$log.log")"
  grep -q "identical greedy continuation" "$W/$log.log" || fail "$log: $(cat "$W/$log.log")"
}

for m in mha gqa; do
  verify "$W/$m" "$m" --config "$W/$m.json" --seed 7 --tokenizer "$W/tokenizer.json"
  verify "$W/$m-keep" "$m-keep" --config "$W/$m.json" --seed 7 --tokenizer "$W/tokenizer.json" --keep-ids
done
grep -q "1 (BOS) = '<|endoftext|>'" "$W/mha.log" || fail "BOS is not <|endoftext|>: $(cat "$W/mha.log")"

# import -> re-export with the ids kept gives the same bytes, and still runs the same in run.c
"$LLM" import llama2c --model "$W/gqa/model.bin" --tokenizer "$W/gqa/tokenizer.bin" --out "$W/imported" \
  > "$W/import.log" 2>&1 || fail "import: $(cat "$W/import.log")"
for f in model.safetensors config.json tokenizer.json; do [ -s "$W/imported/$f" ] || fail "import wrote no $f"; done
verify "$W/again" again --checkpoint "$W/imported" --keep-ids
cmp -s "$W/gqa/model.bin" "$W/again/model.bin" || fail "import -> export changed model.bin"
cmp -s "$W/gqa/tokenizer.bin" "$W/again/tokenizer.bin" || fail "import -> export changed tokenizer.bin"

# bad input: clear errors, no crash
head -c 1000 "$W/mha/model.bin" > "$W/cut.bin"
if "$LLM" import llama2c --model "$W/cut.bin" --out "$W/bad" > "$W/cut.log" 2>&1; then fail "a truncated model.bin was accepted"; fi
grep -q "cut.bin: truncated at byte offset 1000" "$W/cut.log" || fail "unclear truncation error: $(cat "$W/cut.log")"
cat > "$W/ln.json" <<JSON
{"dim": 64, "n_layers": 2, "n_heads": 4, "vocab_size": 520, "max_seq_len": 64, "norm": "layernorm", "pos": "alibi"}
JSON
if "$LLM" export llama2c --config "$W/ln.json" --out "$W/ln" > "$W/ln.log" 2>&1; then fail "a layernorm/alibi model was exported"; fi
grep -q 'norm = "layernorm"' "$W/ln.log" && grep -q 'pos = "alibi"' "$W/ln.log" || fail "unclear error: $(cat "$W/ln.log")"

echo "llama2c interop: OK (run.c printed our greedy continuation for 5 exports; import/export byte-identical)"
