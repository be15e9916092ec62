#!/usr/bin/python3
"""Sanity checks of the reference model itself (run by make_fixtures.py before it writes anything).

1. ALiBi slopes against values worked out by hand from the paper's rule.
2. Vectorised attention (GQA + causal mask + ALiBi) against a per-element Python loop.
3. RoPE and sinusoidal tables against per-element loops.
4. The whole forward (logits + loss) against a second, pure-Python scalar implementation of the spec
   (lists and `math` only) on tiny versions of all four fixture configs, GPT-2 style included.
5. Building blocks against torch's own implementations (layer_norm, gelu tanh, silu, cross_entropy).
6. torch.autograd.gradcheck of the full model (all parameters) on float64 dim-8 miniatures.
"""
import math
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch.nn.utils import stateless  # noqa: E402

from reference_model import (IGNORE_INDEX, ReferenceModel, Norm, alibi_slopes, apply_rope,  # noqa: E402
                             causal_attention, cross_entropy_mean, gelu_tanh, rope_cos_sin,
                             sinusoidal_table)

_failures = []


def expect(ok, what):
    print(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        _failures.append(what)


def close(a, b, tol):
    a, b = torch.as_tensor(a, dtype=torch.float64), torch.as_tensor(b, dtype=torch.float64)
    return (a - b).abs().max().item() <= tol * max(1.0, b.abs().max().item())


# ----------------------------------------------------------------------------- 1. ALiBi slopes

def check_alibi_slopes():
    expect(alibi_slopes(8) == [2.0 ** -k for k in range(1, 9)], "alibi slopes n=8: 2^-1 .. 2^-8")
    expect(alibi_slopes(4) == [2.0 ** -k for k in (2, 4, 6, 8)], "alibi slopes n=4: 2^-2, 2^-4, 2^-6, 2^-8")
    # n=6: closest power of two 4 -> 2^-2,2^-4,2^-6,2^-8; then every other slope of n=8: 2^-1, 2^-3
    expect(alibi_slopes(6) == [0.25, 0.0625, 0.015625, 0.00390625, 0.5, 0.125],
           "alibi slopes n=6: [1/4, 1/16, 1/64, 1/256, 1/2, 1/8]")
    expect(alibi_slopes(3) == [2.0 ** -4, 2.0 ** -8, 2.0 ** -2], "alibi slopes n=3: [1/16, 1/256, 1/4]")


# ----------------------------------------------------------------------------- 2. attention loop

def naive_attention(q, k, v, H, KVH, slopes):
    B, T, _ = q.shape
    hd = q.shape[-1] // H
    g = H // KVH
    out = torch.zeros(B, T, H * hd, dtype=torch.float64)
    for b in range(B):
        for h in range(H):
            kv = h // g
            for i in range(T):
                s = []
                for j in range(i + 1):
                    dot = sum(q[b, i, h * hd + d].item() * k[b, j, kv * hd + d].item() for d in range(hd))
                    s.append(dot / math.sqrt(hd) - (slopes[h] * (i - j) if slopes else 0.0))
                m = max(s)
                e = [math.exp(x - m) for x in s]
                z = sum(e)
                for d in range(hd):
                    out[b, i, h * hd + d] = sum(e[j] / z * v[b, j, kv * hd + d].item() for j in range(i + 1))
    return out


def check_attention():
    g = torch.Generator().manual_seed(7)
    for H, KVH, alibi in ((4, 4, False), (6, 2, False), (6, 3, True), (4, 1, True), (8, 2, True)):
        B, T, hd = 2, 5, 3
        q = torch.randn(B, T, H * hd, generator=g, dtype=torch.float64)
        k = torch.randn(B, T, KVH * hd, generator=g, dtype=torch.float64)
        v = torch.randn(B, T, KVH * hd, generator=g, dtype=torch.float64)
        slopes = alibi_slopes(H) if alibi else None
        ours = causal_attention(q, k, v, H, KVH, slopes)
        ref = naive_attention(q, k, v, H, KVH, slopes)
        expect(close(ours, ref, 1e-12), f"attention H={H} KVH={KVH} alibi={alibi} == per-element loop")
    # T = 1: softmax over a single key, so the output is exactly v (repeated per group).
    q = torch.randn(1, 1, 8, generator=g, dtype=torch.float64)
    k = torch.randn(1, 1, 4, generator=g, dtype=torch.float64)
    v = torch.randn(1, 1, 4, generator=g, dtype=torch.float64)
    out = causal_attention(q, k, v, 4, 2, None)
    expect(torch.equal(out, torch.cat([v[..., :2], v[..., :2], v[..., 2:], v[..., 2:]], -1)),
           "attention T=1 returns v of kv head h/g")


# ----------------------------------------------------------------------------- 3. positions

def check_positions():
    T, hd, theta = 7, 6, 10000.0
    g = torch.Generator().manual_seed(8)
    x = torch.randn(1, T, 2, hd, generator=g, dtype=torch.float64)
    cos, sin = rope_cos_sin(T, hd, theta, torch.float64)
    ours = apply_rope(x, cos, sin)
    ref = torch.zeros_like(x)
    for t in range(T):
        for h in range(2):
            for i in range(hd // 2):
                a = t * theta ** (-2.0 * i / hd)
                x1, x2 = x[0, t, h, i].item(), x[0, t, h, i + hd // 2].item()
                ref[0, t, h, i] = x1 * math.cos(a) - x2 * math.sin(a)
                ref[0, t, h, i + hd // 2] = x2 * math.cos(a) + x1 * math.sin(a)
    expect(close(ours, ref, 1e-13), "rope (rotate_half) == per-element loop")
    expect(torch.equal(ours[0, 0], x[0, 0]), "rope leaves position 0 unchanged")
    C = 10
    S = sinusoidal_table(T, C, torch.float64)
    ref = [[(math.sin if c % 2 == 0 else math.cos)(t * 10000.0 ** (-2.0 * (c // 2) / C)) for c in range(C)]
           for t in range(T)]
    expect(close(S, ref, 1e-13), "sinusoidal table == per-element formula")


# ----------------------------------------------------------------------------- 4. scalar model

def scalar_forward(cfg, P, tokens, targets):
    """The spec again, in plain Python: P maps name -> nested lists, tokens/targets lists of lists."""
    C, H, KVH = cfg["dim"], cfg["n_heads"], cfg["n_kv_heads"]
    hd, grp = C // H, H // KVH
    eps = cfg["norm_eps"]

    def linear(name, x):
        W = P[name + ".weight"]
        y = [sum(W[o][i] * x[i] for i in range(len(x))) for o in range(len(W))]
        if name + ".bias" in P:
            y = [y[o] + P[name + ".bias"][o] for o in range(len(y))]
        return y

    def norm(prefix, x):
        w = P[prefix + ".weight"]
        if cfg["norm"] == "layernorm":
            mu = sum(x) / C
            var = sum((xi - mu) ** 2 for xi in x) / C
            y = [(x[c] - mu) / math.sqrt(var + eps) * w[c] for c in range(C)]
            if prefix + ".bias" in P:
                y = [y[c] + P[prefix + ".bias"][c] for c in range(C)]
            return y
        r = math.sqrt(sum(xi * xi for xi in x) / C + eps)
        if cfg["norm"] == "qwen2_rmsnorm":
            return [x[c] / r * (1.0 + w[c]) for c in range(C)]
        return [x[c] / r * w[c] for c in range(C)]

    def rope(vec, t, nh):
        out = list(vec)
        for h in range(nh):
            for i in range(hd // 2):
                a = t * cfg["rope_theta"] ** (-2.0 * i / hd)
                x1, x2 = vec[h * hd + i], vec[h * hd + i + hd // 2]
                out[h * hd + i] = x1 * math.cos(a) - x2 * math.sin(a)
                out[h * hd + i + hd // 2] = x2 * math.cos(a) + x1 * math.sin(a)
        return out

    slopes = alibi_slopes(H) if cfg["pos"] == "alibi" else [0.0] * H
    E = P["model.embed_tokens.weight"]
    Wlm = E if cfg["tie_embeddings"] else P["lm_head.weight"]
    all_logits, nll = [], []
    for b, seq in enumerate(tokens):
        T = len(seq)
        hs = []
        for t, tok in enumerate(seq):
            x = list(E[tok])
            if cfg["pos"] == "learned":
                x = [x[c] + P["model.embed_positions.weight"][t][c] for c in range(C)]
            elif cfg["pos"] == "sinusoidal":
                x = [x[c] + (math.sin if c % 2 == 0 else math.cos)(t * 10000.0 ** (-2.0 * (c // 2) / C))
                     for c in range(C)]
            hs.append(x)
        for l in range(cfg["n_layers"]):
            p = f"model.layers.{l}."
            a = [norm(p + "input_layernorm", x) for x in hs]
            q = [linear(p + "self_attn.q_proj", x) for x in a]
            k = [linear(p + "self_attn.k_proj", x) for x in a]
            v = [linear(p + "self_attn.v_proj", x) for x in a]
            if cfg["pos"] == "rope":
                q = [rope(q[t], t, H) for t in range(T)]
                k = [rope(k[t], t, KVH) for t in range(T)]
            o = [[0.0] * (H * hd) for _ in range(T)]
            for h in range(H):
                kv = h // grp
                for i in range(T):
                    s = [sum(q[i][h * hd + d] * k[j][kv * hd + d] for d in range(hd)) / math.sqrt(hd)
                         - slopes[h] * (i - j) for j in range(i + 1)]
                    m = max(s)
                    e = [math.exp(z - m) for z in s]
                    Z = sum(e)
                    for d in range(hd):
                        o[i][h * hd + d] = sum(e[j] / Z * v[j][kv * hd + d] for j in range(i + 1))
            hs = [[hs[t][c] + y for c, y in enumerate(linear(p + "self_attn.o_proj", o[t]))] for t in range(T)]
            new = []
            for x in hs:
                m = norm(p + "post_attention_layernorm", x)
                u = linear(p + "mlp.up_proj", m)
                if cfg["ffn"] == "swiglu":
                    gt = linear(p + "mlp.gate_proj", m)
                    z = [gt[f] / (1.0 + math.exp(-gt[f])) * u[f] for f in range(len(u))]
                else:
                    z = [0.5 * y * (1.0 + math.tanh(math.sqrt(2.0 / math.pi) * (y + 0.044715 * y ** 3))) for y in u]
                new.append([x[c] + y for c, y in enumerate(linear(p + "mlp.down_proj", z))])
            hs = new
        rows = []
        for t, x in enumerate(hs):
            xn = norm("model.norm", x)
            lg = [sum(Wlm[vv][c] * xn[c] for c in range(C)) for vv in range(len(Wlm))]
            rows.append(lg)
            if targets[b][t] != IGNORE_INDEX:
                m = max(lg)
                nll.append(m + math.log(sum(math.exp(z - m) for z in lg)) - lg[targets[b][t]])
        all_logits.append(rows)
    return all_logits, sum(nll) / len(nll)


def tiny_configs(dim):
    common = dict(vocab_size=11, max_seq_len=8, multiple_of=4, rope_theta=10000.0, norm_eps=1e-5,
                  dropout=0.0, init_std=0.02, n_layers=2)
    return {
        # head_dim 4 so RoPE rotates two frequencies; dim 8 -> 2 heads / 1 kv head, dim 16 -> 4 / 2
        "gqa_rope_rmsnorm_swiglu": dict(dim=dim, n_heads=dim // 4, n_kv_heads=dim // 8, ffn_hidden=12, ffn="swiglu",
                                        norm="rmsnorm", pos="rope", tie_embeddings=False, bias=False, **common),
        "gpt2": dict(dim=dim, n_heads=2, n_kv_heads=2, ffn_hidden=16, ffn="gelu_mlp", norm="layernorm",
                     pos="learned", tie_embeddings=True, bias=True, **common),
        # 6 heads (non-power-of-two slopes) need dim divisible by 6
        "alibi6": dict(dim=12, n_heads=6, n_kv_heads=3, ffn_hidden=8,
                       ffn="swiglu", norm="rmsnorm", pos="alibi", tie_embeddings=False, bias=False, **common),
        "sinusoidal_qwen2_mqa": dict(dim=dim, n_heads=4, n_kv_heads=1, ffn_hidden=12, ffn="swiglu",
                                     norm="qwen2_rmsnorm", pos="sinusoidal", tie_embeddings=True, bias=True,
                                     **common),
        "none_layernorm_nobias": dict(dim=dim, n_heads=2, n_kv_heads=1, ffn_hidden=8, ffn="gelu_mlp",
                                      norm="layernorm", pos="none", tie_embeddings=False, bias=False, **common),
    }


def random_model(cfg, seed):
    g = torch.Generator().manual_seed(seed)
    model = ReferenceModel(cfg).double()
    with torch.no_grad():
        for n, p in model.named_parameters():
            base = 1.0 if ("norm" in n and n.endswith(".weight") and cfg["norm"] != "qwen2_rmsnorm") else 0.0
            p.copy_(base + 0.4 * torch.randn(p.shape, generator=g, dtype=torch.float64))
    return model, g


def check_scalar_model():
    for name, cfg in tiny_configs(16).items():
        model, g = random_model(cfg, 11)
        tokens = torch.randint(0, cfg["vocab_size"], (2, 5), generator=g)
        targets = torch.randint(0, cfg["vocab_size"], (2, 5), generator=g)
        targets[0, 1] = IGNORE_INDEX
        logits, loss = model(tokens, targets)
        P = {n: p.detach().tolist() for n, p in model.named_parameters()}
        s_logits, s_loss = scalar_forward(cfg, P, tokens.tolist(), targets.tolist())
        expect(close(logits, s_logits, 1e-12) and abs(loss.item() - s_loss) < 1e-12,
               f"tiny {name}: logits and loss == scalar Python implementation of the spec")


# ----------------------------------------------------------------------------- 5. torch builtins

def check_builtins():
    g = torch.Generator().manual_seed(9)
    x = torch.randn(3, 4, 10, generator=g, dtype=torch.float64) * 3 + 1
    ln = Norm("layernorm", 10, 1e-5, True).double()
    with torch.no_grad():
        ln.weight.copy_(torch.randn(10, generator=g)), ln.bias.copy_(torch.randn(10, generator=g))
    expect(close(ln(x), F.layer_norm(x, (10,), ln.weight, ln.bias, 1e-5), 1e-12), "layernorm == F.layer_norm")
    expect(close(gelu_tanh(x), F.gelu(x, approximate="tanh"), 1e-12), "gelu_tanh == F.gelu(approximate='tanh')")
    logits = torch.randn(2, 5, 7, generator=g, dtype=torch.float64)
    tg = torch.randint(0, 7, (2, 5), generator=g)
    tg[1, 2] = IGNORE_INDEX
    tg[0, 4] = IGNORE_INDEX
    expect(close(cross_entropy_mean(logits, tg), F.cross_entropy(logits.reshape(-1, 7), tg.reshape(-1),
                                                                   ignore_index=IGNORE_INDEX), 1e-12),
           "cross_entropy_mean == F.cross_entropy(ignore_index=-100)")
    rms = Norm("rmsnorm", 10, 1e-5, False).double()
    with torch.no_grad():
        rms.weight.copy_(torch.randn(10, generator=g))
    manual = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-5) * rms.weight
    expect(close(rms(x), manual, 1e-12), "rmsnorm == x * rsqrt(mean(x^2) + eps) * w")
    q2 = Norm("qwen2_rmsnorm", 10, 1e-5, True).double()
    expect(q2.bias is None and close(q2(x), x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-5), 1e-12),
           "qwen2_rmsnorm with w = 0 is plain normalisation, and has no bias")


# ----------------------------------------------------------------------------- 6. gradcheck

def check_gradcheck():
    for name, cfg in tiny_configs(8).items():
        model, g = random_model(cfg, 12)
        tokens = torch.randint(0, cfg["vocab_size"], (2, 6), generator=g)
        targets = torch.randint(0, cfg["vocab_size"], (2, 6), generator=g)
        targets[1, 3] = IGNORE_INDEX
        names = [n for n, _ in model.named_parameters()]
        params = tuple(p.detach().clone().requires_grad_(True) for _, p in model.named_parameters())

        def f(*ps):
            logits, loss = stateless.functional_call(model, dict(zip(names, ps)), (tokens, targets))
            return loss, logits

        ok = torch.autograd.gradcheck(f, params, eps=1e-6, atol=1e-7, rtol=1e-5, raise_exception=False)
        n = sum(p.numel() for p in params)
        expect(ok, f"gradcheck {name} (dim {cfg['dim']}, {len(params)} tensors, {n} params): loss and logits")


def run_all():
    _failures.clear()
    torch.set_num_threads(1)
    check_alibi_slopes()
    check_attention()
    check_positions()
    check_builtins()
    check_scalar_model()
    check_gradcheck()
    print(f"{len(_failures)} sanity check(s) failed" if _failures else "all reference sanity checks passed")
    return not _failures


if __name__ == "__main__":
    sys.exit(0 if run_all() else 1)
