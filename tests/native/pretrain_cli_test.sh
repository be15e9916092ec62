#!/usr/bin/env bash
# End-to-end pretraining through the CLI: a run killed mid-way and resumed gives the bit-identical
# loss curve and weights of an uninterrupted run; a corrupted latest checkpoint is skipped in favour
# of the previous good one; 2 MPI ranks match 1 rank with the same global batch.
# usage: pretrain_cli_test.sh path/to/llm
set -euo pipefail
LLM="$1"
W="$(mktemp -d)"
trap 'rm -rf "$W"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
export OMP_NUM_THREADS=1

"$LLM" data generate stories --n 800 --seed 2 --out "$W/corpus.txt" >/dev/null
mkdir -p "$W/data"
"$LLM" tokenizer train --input "$W/corpus.txt" --vocab-size 512 --out "$W/data/tokenizer.json" >/dev/null
"$LLM" data pack --input "$W/corpus.txt" --tokenizer "$W/data/tokenizer.json" --out "$W/data" --val-fraction 0.1 >/dev/null

cat > "$W/cfg.json" <<JSON
{"model": {"dim": 32, "n_layers": 2, "n_heads": 4, "n_kv_heads": 2, "vocab_size": 512, "max_seq_len": 32,
           "dropout": 0.1},
 "data_dir": "$W/data", "out_dir": "$W/a", "batch_size": 4, "seq_len": 32, "max_steps": 12,
 "warmup_steps": 2, "lr": 0.003, "min_lr": 0.0003, "eval_every": 4, "eval_batches": 2,
 "checkpoint_every": 4, "telemetry_every": 4, "seed": 5}
JSON
curve() { grep -E '"type":"(step|eval)"' "$1/metrics.jsonl" | sed -E 's/"(mem_mb|step_ms|tokens_per_s)":[^,}]*,?//g'; }

"$LLM" pretrain --config "$W/cfg.json" --out "$W/a" --threads 1 >/dev/null 2>&1 || fail "uninterrupted run"
set +e
"$LLM" pretrain --config "$W/cfg.json" --out "$W/b" --threads 1 --exit-after-step 6 >/dev/null 2>&1
rc=$?
set -e
[ "$rc" = 137 ] || fail "the simulated crash should exit 137, got $rc"
[ -d "$W/b/checkpoints/step_00000004" ] || fail "no checkpoint at step 4 before the crash"
if "$LLM" pretrain --config "$W/cfg.json" --out "$W/b" --threads 1 > "$W/again.log" 2>&1; then
  fail "a fresh run into a folder holding a run must refuse (loses nothing)"
fi
grep -q "already holds a run" "$W/again.log" || fail "unclear error: $(cat "$W/again.log")"
"$LLM" pretrain --config "$W/cfg.json" --out "$W/b" --threads 1 --resume > "$W/resume.log" 2>&1 || fail "resume: $(cat "$W/resume.log")"
grep -q "resumed from .*step_00000004 at step 4" "$W/resume.log" || fail "did not resume from step 4: $(cat "$W/resume.log")"
diff <(curve "$W/a") <(curve "$W/b") || fail "resumed loss curve differs from the uninterrupted one"
[ "$(curve "$W/a" | grep -c '"type":"step"')" = 12 ] || fail "expected 12 step lines"
cmp "$W/a/checkpoints/step_00000012/model.safetensors" "$W/b/checkpoints/step_00000012/model.safetensors" \
  || fail "final weights differ after resume"
"$LLM" plot "$W/b" --out "$W/b/curves.svg" >/dev/null && grep -q "<svg" "$W/b/curves.svg" || fail "plot"

# corrupt the newest checkpoint: resuming must skip it and use step 8, then reach the same step 12
head -c 1000 "$W/b/checkpoints/step_00000012/model.safetensors" > "$W/trunc" && mv "$W/trunc" "$W/b/checkpoints/step_00000012/model.safetensors"
"$LLM" pretrain --config "$W/cfg.json" --out "$W/b" --threads 1 --resume > "$W/resume2.log" 2>&1 || fail "resume after corruption: $(cat "$W/resume2.log")"
grep -q "skipped bad checkpoints" "$W/resume2.log" || fail "corruption not reported"
grep -q "resumed from .*step_00000008" "$W/resume2.log" || fail "did not fall back to step 8: $(cat "$W/resume2.log")"
cmp "$W/a/checkpoints/step_00000012/model.safetensors" "$W/b/checkpoints/step_00000012/model.safetensors" \
  || fail "weights after fallback resume differ"
"$LLM" eval ppl --checkpoint "$W/b" --data "$W/data" > "$W/ppl.json" || fail "eval ppl"
grep -q '"ppl"' "$W/ppl.json" || fail "eval ppl output"

# data parallel: 2 ranks x 2 sequences == 1 rank x 4 sequences (dropout off)
if command -v mpirun >/dev/null 2>&1; then
  sed -e 's/"dropout": 0.1/"dropout": 0.0/' -e 's/"max_steps": 12/"max_steps": 3/' "$W/cfg.json" > "$W/dp.json"
  "$LLM" pretrain --config "$W/dp.json" --out "$W/one" --threads 1 >/dev/null 2>&1 || fail "1-rank run"
  mpirun --allow-run-as-root --oversubscribe -np 2 "$LLM" pretrain --config "$W/dp.json" --out "$W/two" --threads 1 \
    > "$W/mpi.log" 2>&1 || fail "2-rank run: $(tail -20 "$W/mpi.log")"
  grep -q "data parallel: 2 MPI ranks" "$W/mpi.log" || fail "mpirun did not start 2 ranks: $(tail -5 "$W/mpi.log")"
  "$LLM" diff "$W/one/checkpoints/step_00000003/model.safetensors" "$W/two/checkpoints/step_00000003/model.safetensors" \
    --tol 1e-5 || fail "2-rank weights differ from 1-rank weights"
else
  echo "SKIP: mpirun not installed (apt-get install openmpi-bin)"
fi
echo "pretrain CLI test: OK"
