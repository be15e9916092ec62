#!/usr/bin/python3
"""Writes the reference fixtures the C++ / wasm tests compare against.

  /usr/bin/python3 tests/reference/make_fixtures.py            # sanity checks, regenerate, verify
  /usr/bin/python3 tests/reference/make_fixtures.py --verify   # re-read the committed files and recompute
  /usr/bin/python3 tests/reference/make_fixtures.py --check    # only the reference sanity checks

Needs Debian's torch (python3-torch), hence /usr/bin/python3. For each config NAME it writes
fixtures/NAME.json (the ModelConfig) and fixtures/NAME.safetensors (weights, inputs, logits, loss,
grad.<param> for every parameter), all computed in float64 from float32-representable weights, then
stored as float32: the stored outputs are the exact truth for the stored weights, up to one float32
rounding.
"""
import argparse
import json
import os
import sys

sys.dont_write_bytecode = True  # keep tests/reference free of __pycache__
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import torch  # noqa: E402

import safetensors_io  # noqa: E402
from reference_model import CONFIG_KEYS, IGNORE_INDEX, ReferenceModel, expected_param_shapes  # noqa: E402

FIXTURE_DIR = os.path.join(HERE, "fixtures")
B, T = 2, 12
N_IGNORED = 3          # target positions set to IGNORE_INDEX per fixture
REL_TOL = 1e-4         # the metric the C++ tests use: max|ours - ref| / max|ref| per tensor ...
ZERO_REF_DENOM = 1e-2  # ... with 1e-2 as denominator when the reference is all zeros (see exactly_zero_grads),
                       # i.e. there the test demands max|ours| <= 1e-6

_COMMON = dict(vocab_size=67, max_seq_len=16, multiple_of=32, rope_theta=10000.0, norm_eps=1e-5,
               dropout=0.0, init_std=0.02)

CONFIGS = {  # name -> (seed, config)
    "a_gqa_rope_rmsnorm_swiglu": (1001, dict(
        dim=48, n_layers=2, n_heads=6, n_kv_heads=2, ffn_hidden=128, ffn="swiglu", norm="rmsnorm",
        pos="rope", tie_embeddings=False, bias=False, **_COMMON)),
    "b_gpt2": (1002, dict(
        dim=32, n_layers=2, n_heads=4, n_kv_heads=4, ffn_hidden=128, ffn="gelu_mlp", norm="layernorm",
        pos="learned", tie_embeddings=True, bias=True, **_COMMON)),
    "c_alibi": (1003, dict(
        dim=48, n_layers=2, n_heads=6, n_kv_heads=3, ffn_hidden=96, ffn="swiglu", norm="rmsnorm",
        pos="alibi", tie_embeddings=False, bias=False, **_COMMON)),
    "d_sinusoidal_qwen2_mqa": (1004, dict(
        dim=32, n_layers=2, n_heads=4, n_kv_heads=1, ffn_hidden=96, ffn="swiglu", norm="qwen2_rmsnorm",
        pos="sinusoidal", tie_embeddings=True, bias=True, **_COMMON)),
}

# Weight scales: large enough that attention is far from uniform and every gradient is O(1e-2..1),
# so a relative error of 1e-4 is a sharp test.
MATRIX_STD = 0.15      # every projection and lm_head
EMBED_STD = 0.3        # token embeddings (keeps token identity visible in the residual stream)
POS_STD = 0.2          # learned position table
VEC_STD = 0.1          # norm weights around 1 (or 0 for qwen2), biases around 0


def ordered_config(cfg):
    return {k: cfg[k] for k in CONFIG_KEYS}


def randomize_(model, gen):
    """Fills every parameter from `gen` (float64), then rounds to float32 so that the float32 weights we
    store are exactly the weights the float64 truth was computed with."""
    for name, p in model.named_parameters():
        n = torch.randn(p.shape, generator=gen, dtype=torch.float64)
        if name.endswith("embed_tokens.weight"):
            v = EMBED_STD * n
        elif name.endswith("embed_positions.weight"):
            v = POS_STD * n
        elif p.dim() == 2:
            v = MATRIX_STD * n
        elif "norm" in name and name.endswith(".weight"):
            v = VEC_STD * n if model.cfg["norm"] == "qwen2_rmsnorm" else 1.0 + VEC_STD * n
        else:  # biases (projection biases, layernorm biases)
            v = VEC_STD * n
        with torch.no_grad():
            p.copy_(v.float().double())


def make_inputs(cfg, gen):
    """input_ids (B, T) and targets (B, T) = next token, N_IGNORED positions set to IGNORE_INDEX."""
    seq = torch.randint(0, cfg["vocab_size"], (B, T + 1), generator=gen)
    input_ids = seq[:, :T].clone()
    targets = seq[:, 1:].clone()
    flat = torch.randperm(B * T, generator=gen)[:N_IGNORED]
    targets.view(-1)[flat] = IGNORE_INDEX
    return input_ids.to(torch.int32), targets.to(torch.int32)


def forward_backward(model, input_ids, targets):
    model.zero_grad(set_to_none=True)
    logits, loss = model(input_ids, targets)
    loss.backward()
    grads = {n: p.grad.detach().clone() for n, p in model.named_parameters()}
    return logits.detach(), loss.detach(), grads


def exactly_zero_grads(cfg):
    """Gradients that are zero in exact arithmetic. Without RoPE, the k_proj bias adds q_i . b_k to every
    score of query i, a constant over keys j, and softmax is shift-invariant: dL/db_k = 0. (With RoPE
    the bias is rotated differently at each position, so it does matter.) float64 leaves ~1e-17 noise;
    the fixture stores exact zeros instead, and the tests treat an all-zero reference as an absolute bound."""
    if not cfg["bias"] or cfg["pos"] == "rope":
        return []
    return [f"model.layers.{l}.self_attn.k_proj.bias" for l in range(cfg["n_layers"])]


def write_fixture(name, seed, cfg):
    gen = torch.Generator().manual_seed(seed)
    model = ReferenceModel(cfg).double()
    randomize_(model, gen)
    input_ids, targets = make_inputs(cfg, gen)
    logits, loss, grads = forward_backward(model, input_ids, targets)

    tensors = {n: p.detach().float() for n, p in model.named_parameters()}
    tensors["input_ids"] = input_ids
    tensors["targets"] = targets
    tensors["logits"] = logits.float()
    tensors["loss"] = loss.float().reshape(1)
    for n in exactly_zero_grads(cfg):
        scale = max(g.abs().max().item() for g in grads.values())
        if grads[n].abs().max().item() > 1e-12 * scale:
            raise RuntimeError(f"{name}: {n} gradient should vanish but is {grads[n].abs().max().item():.2e}")
        grads[n] = torch.zeros_like(grads[n])
    for n, g in grads.items():
        tensors["grad." + n] = g.float()
    os.makedirs(FIXTURE_DIR, exist_ok=True)
    with open(os.path.join(FIXTURE_DIR, name + ".json"), "w") as f:
        json.dump(ordered_config(cfg), f, indent=2)
        f.write("\n")
    safetensors_io.save(os.path.join(FIXTURE_DIR, name + ".safetensors"), tensors,
                        metadata={"format": "pt", "generator": "tests/reference/make_fixtures.py",
                                  "config": name, "seed": str(seed)})
    print(f"wrote {name}: loss {loss.item():.6f}, {sum(p.numel() for p in model.parameters())} params")


def rel_err(ours, ref):
    """The tests' metric: max|ours - ref| / max|ref|, or / ZERO_REF_DENOM for an all-zero reference."""
    ours, ref = ours.double(), ref.double()
    denom = ref.abs().max().item()
    return (ours - ref).abs().max().item() / (denom if denom > 0 else ZERO_REF_DENOM)


def verify_fixture(name):
    """Re-reads NAME.json/.safetensors, checks names/shapes/dtypes against the spec and recomputes
    everything in float64 (must match to float32 rounding) and in float32 (must be within REL_TOL,
    i.e. what a correct float32 implementation like ours can achieve). Returns a list of problems."""
    problems = []
    with open(os.path.join(FIXTURE_DIR, name + ".json")) as f:
        cfg = json.load(f)
    if list(cfg) != list(CONFIG_KEYS):
        problems.append(f"{name}.json keys {list(cfg)} != spec keys")
    if name in CONFIGS and ordered_config(CONFIGS[name][1]) != cfg:
        problems.append(f"{name}.json differs from CONFIGS[{name!r}]")
    tensors, meta = safetensors_io.load(os.path.join(FIXTURE_DIR, name + ".safetensors"))

    shapes = expected_param_shapes(cfg)
    expect = dict(shapes)
    expect.update({"grad." + n: s for n, s in shapes.items()})
    expect.update({"input_ids": (B, T), "targets": (B, T), "logits": (B, T, cfg["vocab_size"]), "loss": (1,)})
    if set(tensors) != set(expect):
        problems.append(f"{name}: tensor names differ: missing {sorted(set(expect) - set(tensors))}, "
                        f"extra {sorted(set(tensors) - set(expect))}")
        return problems
    for n, s in expect.items():
        want_dtype = torch.int32 if n in ("input_ids", "targets") else torch.float32
        if tuple(tensors[n].shape) != tuple(s) or tensors[n].dtype != want_dtype:
            problems.append(f"{name}: {n} is {tensors[n].dtype} {tuple(tensors[n].shape)}, want {want_dtype} {s}")
    ids, tg = tensors["input_ids"], tensors["targets"]
    if not ((ids >= 0) & (ids < cfg["vocab_size"])).all():
        problems.append(f"{name}: input_ids out of range")
    keep = tg[:, :-1] != IGNORE_INDEX
    if not torch.equal(tg[:, :-1][keep], ids[:, 1:][keep]):
        problems.append(f"{name}: targets are not input_ids shifted by one")
    if int((tg == IGNORE_INDEX).sum()) != N_IGNORED:
        problems.append(f"{name}: expected {N_IGNORED} ignored targets")

    worst64, worst32 = 0.0, 0.0
    for dtype in (torch.float64, torch.float32):
        model = ReferenceModel(cfg).to(dtype)
        named = dict(model.named_parameters())
        if set(named) != set(shapes):
            problems.append(f"{name}: module parameters {sorted(named)} != spec table {sorted(shapes)}")
            return problems
        with torch.no_grad():
            for n, p in named.items():
                p.copy_(tensors[n].to(dtype))
        logits, loss, grads = forward_backward(model, ids, tg)
        outs = {"logits": logits, "loss": loss.reshape(1)}
        outs.update({"grad." + n: g for n, g in grads.items()})
        for n, v in outs.items():
            e = rel_err(v, tensors[n])
            if dtype == torch.float64:
                worst64 = max(worst64, e)
                if e > 1e-6:
                    problems.append(f"{name}: float64 recompute of {n} off by {e:.2e}")
            else:
                worst32 = max(worst32, e)
                if e > REL_TOL:
                    problems.append(f"{name}: float32 recompute of {n} off by {e:.2e} > {REL_TOL}")
    zero = ["grad." + n for n in exactly_zero_grads(cfg)]
    for n in tensors:
        mx = tensors[n].abs().max().item()
        if n in zero and mx != 0:
            problems.append(f"{name}: {n} should be stored as exact zeros")
        if n.startswith("grad.") and n not in zero and mx < 1e-3:
            problems.append(f"{name}: gradient {n} is nearly zero ({mx:.1e}); weak test")
    smallest = min((tensors[n].abs().max().item(), n) for n in tensors if n.startswith("grad.") and n not in zero)
    size = os.path.getsize(os.path.join(FIXTURE_DIR, name + ".safetensors"))
    print(f"verify {name}: {len(tensors)} tensors, {size} bytes, loss {tensors['loss'].item():.6f}, "
          f"float64 recompute rel err {worst64:.1e}, float32 recompute rel err {worst32:.1e}, "
          f"smallest grad max|g| {smallest[0]:.1e} ({smallest[1]}), metadata {meta}")
    return problems


def verify_all():
    problems = []
    for name in CONFIGS:
        problems += verify_fixture(name)
    for p in problems:
        print("PROBLEM:", p)
    return not problems


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--verify", action="store_true", help="re-read the fixtures and recompute them")
    ap.add_argument("--check", action="store_true", help="run the reference sanity checks only")
    args = ap.parse_args()
    torch.set_num_threads(1)  # determinism across machines does not depend on thread count
    if args.verify:
        sys.exit(0 if verify_all() else 1)
    import check_reference
    if not check_reference.run_all():
        sys.exit(1)
    if args.check:
        return
    for name, (seed, cfg) in CONFIGS.items():
        write_fixture(name, seed, cfg)
    sys.exit(0 if verify_all() else 1)


if __name__ == "__main__":
    main()
