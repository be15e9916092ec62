#!/usr/bin/env bash
# `llm pipeline` end to end on a micro config: every stage (data, pretrain, sft, rm, dpo, grpo,
# eval) runs and leaves its DONE marker and a loadable checkpoint; the eval table has a column per
# stage; a rerun skips every finished stage; --restart-from reruns from that stage on; an unknown
# key in the pipeline config is an error that names it.
# usage: pipeline_cli_test.sh path/to/llm
set -euo pipefail
LLM="$1"
W="$(mktemp -d)"
trap '[ -n "${KEEP:-}" ] || rm -rf "$W"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
export OMP_NUM_THREADS=1

cat > "$W/pre.json" <<JSON
{"model": {"dim": 32, "n_layers": 1, "n_heads": 2, "n_kv_heads": 1, "vocab_size": 400, "max_seq_len": 96},
 "data_dir": "unused", "out_dir": "unused", "batch_size": 4, "seq_len": 32, "max_steps": 4,
 "warmup_steps": 1, "lr": 0.003, "eval_every": 4, "eval_batches": 1, "checkpoint_every": 2, "seed": 5}
JSON
common='"n_train": 40, "n_eval": 8, "batch_size": 2, "seq_len": 96, "max_steps": 2, "warmup_steps": 1, "eval_every": 2, "log_every": 1'
echo "{\"stage\": \"sft\", $common, \"max_new_tokens\": 6}" > "$W/sft.json"
echo "{\"stage\": \"rm\", $common}" > "$W/rm.json"
echo "{\"stage\": \"dpo\", $common}" > "$W/dpo.json"
cat > "$W/grpo.json" <<JSON
{"stage": "grpo", "rl_tasks": "arithmetic", "n_train": 20, "n_eval": 4, "prompts_per_step": 2, "group_size": 2,
 "batch_size": 4, "max_steps": 2, "warmup_steps": 1, "max_new_tokens": 6, "eval_every": 0, "log_every": 1}
JSON
cat > "$W/pipe.json" <<JSON
{"out_dir": "$W/run", "threads": 1,
 "data": {"stories": 300, "vocab_size": 400, "seed": 2},
 "pretrain": {"config": "$W/pre.json"}, "sft": {"config": "$W/sft.json"}, "rm": {"config": "$W/rm.json"},
 "dpo": {"config": "$W/dpo.json"}, "grpo": {"config": "$W/grpo.json", "seed": 3},
 "eval": {"limit": 4, "stages": ["pretrain", "sft", "grpo"]}}
JSON

"$LLM" pipeline --config "$W/pipe.json" > "$W/a.log" 2>&1 || fail "pipeline: $(tail -20 "$W/a.log")"
for s in data pretrain sft rm dpo grpo eval; do
  [ -f "$W/run/$s/DONE" ] || fail "stage $s left no DONE marker"
done
for s in pretrain sft rm dpo grpo; do
  ls "$W/run/$s/checkpoints/" | grep -q step_ || fail "stage $s wrote no checkpoint"
done
head_line="$(grep -E '^task +metric' "$W/a.log" | tail -1)"
for s in pretrain sft grpo; do
  echo "$head_line" | grep -q "$s" || fail "eval table has no column for $s: '$head_line'"
done
grep -qE '^arith' "$W/a.log" || fail "eval table has no arithmetic row: $(tail -15 "$W/a.log")"
[ -f "$W/run/eval/table.json" ] || fail "no eval/table.json"
# the RM's wrong-answer pairs, broken down by task family, add up to its wrong_answer count
node -e '
  const m = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  if (!m.wrong_answer_by_task) throw new Error("rm final_metrics.json has no wrong_answer_by_task");
  const sum = Object.values(m.wrong_answer_by_task).reduce((a, v) => a + v.n, 0);
  const want = m.by_reason.wrong_answer ? m.by_reason.wrong_answer.n : 0;
  if (sum !== want) throw new Error(`wrong_answer_by_task counts ${sum} pairs, by_reason.wrong_answer ${want}`);
' "$W/run/rm/final_metrics.json" 2> "$W/rm_task.err" || fail "$(cat "$W/rm_task.err")"
# the GRPO stage ran with the seed the pipeline gave it
grep -q '"seed": 3' "$W/run/grpo/summary.json" || fail "grpo did not get seed 3"
# a loadable chat checkpoint at the end of the chain
printf 'hi\n' | "$LLM" chat --checkpoint "$W/run/grpo" --temperature 0 --max-tokens 4 --threads 1 > /dev/null 2>&1 \
  || fail "chat cannot load the grpo checkpoint"

# rerun: every stage is skipped, nothing retrained (the checkpoints keep their mtimes)
before="$(stat -c %Y "$W/run/sft/final_metrics.json")"
sleep 1
"$LLM" pipeline --config "$W/pipe.json" > "$W/b.log" 2>&1 || fail "rerun: $(tail -20 "$W/b.log")"
[ "$(grep -c 'done: skipped' "$W/b.log")" -eq 7 ] || fail "rerun did not skip all 7 stages: $(grep '========' "$W/b.log")"
[ "$(stat -c %Y "$W/run/sft/final_metrics.json")" = "$before" ] || fail "rerun retrained sft"

# --restart-from dpo: data..rm skipped, dpo and grpo rerun
"$LLM" pipeline --config "$W/pipe.json" --restart-from dpo > "$W/c.log" 2>&1 || fail "restart: $(tail -20 "$W/c.log")"
[ "$(grep -c 'done: skipped' "$W/c.log")" -eq 4 ] || fail "restart-from dpo: expected 4 skipped stages: $(grep '========' "$W/c.log")"
grep -q '^\$ llm dpo' "$W/c.log" || fail "restart-from dpo did not run dpo"

# an unknown key is named
sed 's/"threads": 1/"threads": 1, "thread": 2/' "$W/pipe.json" > "$W/bad.json"
if "$LLM" pipeline --config "$W/bad.json" > "$W/d.log" 2>&1; then fail "unknown key accepted"; fi
grep -q "unknown key 'thread'" "$W/d.log" || fail "unknown key not named: $(cat "$W/d.log")"
# a share out of 0..100 is refused before anything runs
sed 's/"seed": 2}/"seed": 2, "facts_qa": 101}/' "$W/pipe.json" > "$W/qa.json"
if "$LLM" pipeline --config "$W/qa.json" --check > "$W/h.log" 2>&1; then fail "facts_qa 101 accepted"; fi
grep -q "facts_qa in 0..100" "$W/h.log" || fail "facts_qa range not named: $(cat "$W/h.log")"

# --check: every shipped pipeline config and every stage config it names parse strictly, nothing runs
SRC="$(cd "$(dirname "$0")/../.." && pwd)"
for f in "$SRC"/configs/pipeline/*.json; do
  "$LLM" pipeline --config "$f" --out "$W/never" --check > "$W/e.log" 2>&1 || fail "--check $f: $(tail -5 "$W/e.log")"
  grep -q "configs OK" "$W/e.log" || fail "--check $f printed no verdict"
done
[ ! -e "$W/never" ] || fail "--check created the run folder"
# a stage given another stage's config, and an unknown key in a stage config, are named
sed "s|\"rm\": {\"config\": \"$W/rm.json\"}|\"rm\": {\"config\": \"$W/dpo.json\"}|" "$W/pipe.json" > "$W/swap.json"
if "$LLM" pipeline --config "$W/swap.json" --check > "$W/f.log" 2>&1; then fail "dpo config accepted for the rm stage"; fi
grep -q 'stage rm.*is for stage "dpo"' "$W/f.log" || fail "wrong-stage config not named: $(cat "$W/f.log")"
echo "{\"stage\": \"sft\", $common, \"max_new_token\": 6}" > "$W/sft.json"
if "$LLM" pipeline --config "$W/pipe.json" --check > "$W/g.log" 2>&1; then fail "unknown sft key accepted"; fi
grep -q "max_new_token" "$W/g.log" || fail "unknown sft key not named: $(cat "$W/g.log")"
echo "pipeline_cli_test: ok"
