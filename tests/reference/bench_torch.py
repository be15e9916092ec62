"""PyTorch peer for `llm bench train`: the same decoder (tests/reference/reference_model.py), the
same batch, forward + backward + AdamW step, fp32, timed back to back with our CLI.

usage: /usr/bin/python3 tests/reference/bench_torch.py --config configs/model/small.json \
           [--batch 8] [--seq 256] [--threads 2] [--reps 5]
Prints JSON like `llm bench train`. Install libopenblas0-pthread so torch is not on reference BLAS.
"""
import argparse
import json
import os
import resource
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference_model import ReferenceModel  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", default="configs/model/small.json")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--seq", type=int, default=256)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=5)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    cfg = json.load(open(a.config))
    defaults = {"n_kv_heads": cfg["n_heads"], "ffn": "swiglu", "norm": "rmsnorm", "pos": "rope",
                "rope_theta": 10000.0, "tie_embeddings": False, "bias": False, "norm_eps": 1e-5,
                "dropout": 0.0, "multiple_of": 32, "init_std": 0.02}
    for k, v in defaults.items():
        cfg.setdefault(k, v)
    if not cfg.get("ffn_hidden"):
        h = 4 * cfg["dim"] if cfg["ffn"] == "gelu_mlp" else (8 * cfg["dim"]) // 3
        m = cfg["multiple_of"]
        cfg["ffn_hidden"] = (h + m - 1) // m * m
    model = ReferenceModel(cfg).float()
    for p in model.parameters():
        torch.nn.init.normal_(p, std=0.02)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    V = cfg["vocab_size"]
    x = torch.randint(0, V, (a.batch, a.seq))
    y = torch.randint(0, V, (a.batch, a.seq))
    times = []
    for i in range(a.reps + 1):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        logits = model(x)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, V), y.reshape(-1))
        loss.backward()
        opt.step()
        if i > 0:
            times.append(time.perf_counter() - t0)
    times.sort()
    med = times[len(times) // 2]
    print(json.dumps({"peer": "pytorch " + torch.__version__, "threads": a.threads,
                      "params": sum(p.numel() for p in model.parameters()),
                      "tokens_per_s": a.batch * a.seq / med,
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}, indent=2))


if __name__ == "__main__":
    main()
