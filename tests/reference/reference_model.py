"""Independent PyTorch reference of the decoder-only transformer (written from /tmp/model_spec.md,
not from the C++ sources). Plain torch ops, no fused kernels, so it is easy to audit line by line.

Parameter names match the checkpoint names exactly (nn.Module nesting produces them):
  model.embed_tokens.weight, model.embed_positions.weight, model.layers.{l}.input_layernorm.weight,
  model.layers.{l}.self_attn.{q,k,v,o}_proj.{weight,bias}, model.layers.{l}.post_attention_layernorm.*,
  model.layers.{l}.mlp.{gate,up,down}_proj.*, model.norm.*, lm_head.weight.
"""
import math

import torch
import torch.nn as nn

CONFIG_KEYS = (
    "dim", "n_layers", "n_heads", "n_kv_heads", "vocab_size", "max_seq_len", "ffn_hidden", "multiple_of",
    "ffn", "norm", "pos", "rope_theta", "tie_embeddings", "bias", "norm_eps", "dropout", "init_std",
)
IGNORE_INDEX = -100


def check_config(cfg):
    """Strict: every key of CONFIG_KEYS present, nothing else, enums valid, shapes divisible."""
    unknown = sorted(set(cfg) - set(CONFIG_KEYS))
    missing = sorted(set(CONFIG_KEYS) - set(cfg))
    if unknown or missing:
        raise ValueError(f"model config: unknown keys {unknown}, missing keys {missing}")
    if cfg["ffn"] not in ("swiglu", "gelu_mlp"):
        raise ValueError(f"model config: bad ffn {cfg['ffn']!r}")
    if cfg["norm"] not in ("rmsnorm", "layernorm", "qwen2_rmsnorm"):
        raise ValueError(f"model config: bad norm {cfg['norm']!r}")
    if cfg["pos"] not in ("rope", "alibi", "learned", "sinusoidal", "none"):
        raise ValueError(f"model config: bad pos {cfg['pos']!r}")
    if cfg["dim"] % cfg["n_heads"] or cfg["n_heads"] % cfg["n_kv_heads"]:
        raise ValueError("model config: dim % n_heads and n_heads % n_kv_heads must be 0")
    if cfg["pos"] == "rope" and (cfg["dim"] // cfg["n_heads"]) % 2:
        raise ValueError("model config: rope needs an even head_dim")
    if cfg["pos"] == "sinusoidal" and cfg["dim"] % 2:
        raise ValueError("model config: sinusoidal positions need an even dim")
    if cfg["ffn_hidden"] <= 0:
        # The default (8/3*dim rounded up to multiple_of) is not pinned down precisely enough in the
        # spec to serve as ground truth; fixtures always give ffn_hidden explicitly.
        raise ValueError("reference model: ffn_hidden must be given explicitly (> 0)")
    if cfg["dropout"] != 0:
        raise ValueError("reference model: dropout must be 0 (fixtures are deterministic)")


# ----------------------------------------------------------------------------- position helpers

def alibi_slopes(n):
    """ALiBi paper slopes for n heads (geometric for powers of two, interleaved otherwise)."""
    def p2(n):
        s = 2 ** (-2 ** -(math.log2(n) - 3))
        return [s * s ** i for i in range(n)]
    if math.log2(n).is_integer():
        return p2(n)
    c = 2 ** math.floor(math.log2(n))
    return p2(c) + alibi_slopes(2 * c)[0::2][:n - c]


def sinusoidal_table(T, C, dtype):
    """(T, C): S[t, 2i] = sin(t w_i), S[t, 2i+1] = cos(t w_i), w_i = 10000^(-2i/C). Built in float64."""
    t = torch.arange(T, dtype=torch.float64)[:, None]                      # (T, 1)
    i = torch.arange(C // 2, dtype=torch.float64)[None, :]                 # (1, C/2)
    ang = t * torch.pow(torch.tensor(10000.0, dtype=torch.float64), -2.0 * i / C)  # (T, C/2)
    S = torch.empty(T, C, dtype=torch.float64)
    S[:, 0::2] = torch.sin(ang)
    S[:, 1::2] = torch.cos(ang)
    return S.to(dtype)


def rope_cos_sin(T, hd, theta, dtype):
    """(T, hd/2) cos and sin of angle[t, i] = t * theta^(-2i/hd). Built in float64."""
    i = torch.arange(hd // 2, dtype=torch.float64)
    inv_freq = torch.pow(torch.tensor(float(theta), dtype=torch.float64), -2.0 * i / hd)  # (hd/2,)
    ang = torch.arange(T, dtype=torch.float64)[:, None] * inv_freq[None, :]              # (T, hd/2)
    return torch.cos(ang).to(dtype), torch.sin(ang).to(dtype)


def apply_rope(x, cos, sin):
    """x: (B, T, nh, hd) -> same; HF rotate_half: pairs (i, i + hd/2) rotated by angle[t, i]."""
    half = x.shape[-1] // 2
    x1, x2 = x[..., :half], x[..., half:]
    c = cos[None, :, None, :]  # (1, T, 1, hd/2)
    s = sin[None, :, None, :]
    return torch.cat([x1 * c - x2 * s, x2 * c + x1 * s], dim=-1)


def causal_attention(q, k, v, n_heads, n_kv_heads, alibi=None):
    """q: (B, T, H*hd); k, v: (B, T, KVH*hd); alibi: None or (H,) slopes. Returns (B, T, H*hd).

    scores[h, i, j] = q_h[i] . k_{h/g}[j] / sqrt(hd) - slope_h * (i - j), j <= i; softmax over j.
    """
    B, T, _ = q.shape
    hd = q.shape[-1] // n_heads
    g = n_heads // n_kv_heads
    qh = q.view(B, T, n_heads, hd).transpose(1, 2)                                     # (B, H, T, hd)
    kh = k.view(B, T, n_kv_heads, hd).transpose(1, 2).repeat_interleave(g, dim=1)      # (B, H, T, hd)
    vh = v.view(B, T, n_kv_heads, hd).transpose(1, 2).repeat_interleave(g, dim=1)      # (B, H, T, hd)
    scores = qh @ kh.transpose(-1, -2) / math.sqrt(hd)                                 # (B, H, T, T)
    i = torch.arange(T)[:, None]
    j = torch.arange(T)[None, :]
    if alibi is not None:
        slopes = torch.tensor(alibi, dtype=q.dtype)[:, None, None]                    # (H, 1, 1)
        dist = (i - j).clamp(min=0).to(q.dtype)                                       # (T, T)
        scores = scores - slopes * dist
    scores = scores.masked_fill(j > i, float("-inf"))
    att = torch.softmax(scores, dim=-1)                                                # (B, H, T, T)
    o = att @ vh                                                                       # (B, H, T, hd)
    return o.transpose(1, 2).reshape(B, T, n_heads * hd)


def gelu_tanh(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))


def cross_entropy_mean(logits, targets):
    """logits (B, T, V), targets (B, T) with IGNORE_INDEX; mean over non-ignored positions."""
    V = logits.shape[-1]
    lg = logits.reshape(-1, V)
    tg = targets.reshape(-1).long()
    keep = tg != IGNORE_INDEX
    lg, tg = lg[keep], tg[keep]
    nll = torch.logsumexp(lg, dim=-1) - lg.gather(1, tg[:, None])[:, 0]
    return nll.mean()


# ----------------------------------------------------------------------------- modules

class Norm(nn.Module):
    def __init__(self, kind, C, eps, with_bias):
        super().__init__()
        self.kind, self.eps = kind, eps
        init = 0.0 if kind == "qwen2_rmsnorm" else 1.0   # qwen2 scales by (1 + w)
        self.weight = nn.Parameter(torch.full((C,), init))
        self.bias = nn.Parameter(torch.zeros(C)) if (kind == "layernorm" and with_bias) else None

    def forward(self, x):  # x: (..., C)
        if self.kind == "layernorm":
            mu = x.mean(-1, keepdim=True)
            var = ((x - mu) ** 2).mean(-1, keepdim=True)            # biased variance
            y = (x - mu) / torch.sqrt(var + self.eps) * self.weight
            return y + self.bias if self.bias is not None else y
        y = x / torch.sqrt((x * x).mean(-1, keepdim=True) + self.eps)
        return y * (1.0 + self.weight) if self.kind == "qwen2_rmsnorm" else y * self.weight


class Attention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        C, H, KVH, b = cfg["dim"], cfg["n_heads"], cfg["n_kv_heads"], cfg["bias"]
        hd = C // H
        self.q_proj = nn.Linear(C, H * hd, bias=b)
        self.k_proj = nn.Linear(C, KVH * hd, bias=b)
        self.v_proj = nn.Linear(C, KVH * hd, bias=b)
        self.o_proj = nn.Linear(H * hd, C, bias=b)
        self.cfg = cfg

    def forward(self, a):  # a: (B, T, C)
        cfg = self.cfg
        H, KVH = cfg["n_heads"], cfg["n_kv_heads"]
        hd = cfg["dim"] // H
        B, T, _ = a.shape
        q, k, v = self.q_proj(a), self.k_proj(a), self.v_proj(a)   # (B,T,H*hd), (B,T,KVH*hd) x2
        if cfg["pos"] == "rope":
            cos, sin = rope_cos_sin(T, hd, cfg["rope_theta"], a.dtype)
            q = apply_rope(q.view(B, T, H, hd), cos, sin).reshape(B, T, H * hd)
            k = apply_rope(k.view(B, T, KVH, hd), cos, sin).reshape(B, T, KVH * hd)
        slopes = alibi_slopes(H) if cfg["pos"] == "alibi" else None
        return self.o_proj(causal_attention(q, k, v, H, KVH, slopes))


class MLP(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        C, F, b = cfg["dim"], cfg["ffn_hidden"], cfg["bias"]
        self.swiglu = cfg["ffn"] == "swiglu"
        if self.swiglu:
            self.gate_proj = nn.Linear(C, F, bias=b)
        self.up_proj = nn.Linear(C, F, bias=b)
        self.down_proj = nn.Linear(F, C, bias=b)

    def forward(self, m):  # m: (B, T, C)
        if self.swiglu:
            gte = self.gate_proj(m)
            return self.down_proj(gte * torch.sigmoid(gte) * self.up_proj(m))
        return self.down_proj(gelu_tanh(self.up_proj(m)))


class Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.input_layernorm = Norm(cfg["norm"], cfg["dim"], cfg["norm_eps"], cfg["bias"])
        self.self_attn = Attention(cfg)
        self.post_attention_layernorm = Norm(cfg["norm"], cfg["dim"], cfg["norm_eps"], cfg["bias"])
        self.mlp = MLP(cfg)

    def forward(self, h):
        h = h + self.self_attn(self.input_layernorm(h))
        return h + self.mlp(self.post_attention_layernorm(h))


class Decoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.embed_tokens = nn.Embedding(cfg["vocab_size"], cfg["dim"])
        if cfg["pos"] == "learned":
            self.embed_positions = nn.Embedding(cfg["max_seq_len"], cfg["dim"])
        self.layers = nn.ModuleList([Block(cfg) for _ in range(cfg["n_layers"])])
        self.norm = Norm(cfg["norm"], cfg["dim"], cfg["norm_eps"], cfg["bias"])


class ReferenceModel(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        check_config(cfg)
        self.cfg = dict(cfg)
        self.model = Decoder(cfg)
        if not cfg["tie_embeddings"]:
            self.lm_head = nn.Linear(cfg["dim"], cfg["vocab_size"], bias=False)

    def forward(self, tokens, targets=None):
        """tokens (B, T) int -> logits (B, T, V) [, loss scalar]."""
        cfg = self.cfg
        B, T = tokens.shape
        if T > cfg["max_seq_len"]:
            raise ValueError(f"sequence length {T} > max_seq_len {cfg['max_seq_len']}")
        E = self.model.embed_tokens.weight                                  # (V, C)
        h = E[tokens.long()]                                                # (B, T, C)
        if cfg["pos"] == "learned":
            h = h + self.model.embed_positions.weight[:T][None]
        elif cfg["pos"] == "sinusoidal":
            h = h + sinusoidal_table(T, cfg["dim"], h.dtype)[None]
        for layer in self.model.layers:
            h = layer(h)
        h = self.model.norm(h)
        W = E if cfg["tie_embeddings"] else self.lm_head.weight             # (V, C)
        logits = h @ W.t()                                                  # (B, T, V)
        if targets is None:
            return logits
        return logits, cross_entropy_mean(logits, targets)


def expected_param_shapes(cfg):
    """Name -> shape, derived from the spec's parameter table alone (used to cross-check the module)."""
    C, V, F, L = cfg["dim"], cfg["vocab_size"], cfg["ffn_hidden"], cfg["n_layers"]
    hd = C // cfg["n_heads"]
    qd, kvd = cfg["n_heads"] * hd, cfg["n_kv_heads"] * hd
    b = cfg["bias"]
    norm_bias = cfg["norm"] == "layernorm" and b
    s = {"model.embed_tokens.weight": (V, C)}
    if cfg["pos"] == "learned":
        s["model.embed_positions.weight"] = (cfg["max_seq_len"], C)

    def norm(p):
        s[p + ".weight"] = (C,)
        if norm_bias:
            s[p + ".bias"] = (C,)

    def lin(p, out, inp):
        s[p + ".weight"] = (out, inp)
        if b:
            s[p + ".bias"] = (out,)

    for l in range(L):
        p = f"model.layers.{l}."
        norm(p + "input_layernorm")
        lin(p + "self_attn.q_proj", qd, C)
        lin(p + "self_attn.k_proj", kvd, C)
        lin(p + "self_attn.v_proj", kvd, C)
        lin(p + "self_attn.o_proj", C, qd)
        norm(p + "post_attention_layernorm")
        if cfg["ffn"] == "swiglu":
            lin(p + "mlp.gate_proj", F, C)
        lin(p + "mlp.up_proj", F, C)
        lin(p + "mlp.down_proj", C, F)
    norm("model.norm")
    if not cfg["tie_embeddings"]:
        s["lm_head.weight"] = (V, C)
    return s
