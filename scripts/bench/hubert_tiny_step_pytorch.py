#!/usr/bin/python3
# Copied from the project's shared bench folder (../shared/bench/hubert_tiny_step_pytorch.py, the
# reference step of the `train-step` benchmark, written for speech-ssl) so the repository stands alone;
# changed only to take the number of timed steps as a second argument (default 20).
"""PyTorch reference for the hubert-tiny training step of README.md (`train-step`), to run alongside the
project's bench, alternating: /usr/bin/python3 hubert_tiny_step_pytorch.py THREADS [STEPS] (Debian python3-torch).
Prints one JSON line: {"ref":"torch","threads":N,"ms_per_step":median}."""
import json, sys, time, statistics, torch, torch.nn as nn, torch.nn.functional as F
threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
steps = int(sys.argv[2]) if len(sys.argv) > 2 else 20
torch.set_num_threads(threads); torch.manual_seed(0)
B, T, Fdim, D, H, FF, L, P, K = 8, 200, 80, 256, 4, 1024, 4, 128, 100
class Block(nn.Module):
    def __init__(s):
        super().__init__(); s.ln1 = nn.LayerNorm(D); s.att = nn.MultiheadAttention(D, H, batch_first=True); s.ln2 = nn.LayerNorm(D)
        s.ff = nn.Sequential(nn.Linear(D, FF), nn.GELU(), nn.Linear(FF, D))
    def forward(s, x):
        h = s.ln1(x); x = x + s.att(h, h, h, need_weights=False)[0]
        return x + s.ff(s.ln2(x))
class M(nn.Module):
    def __init__(s):
        super().__init__(); s.inp = nn.Linear(Fdim, D); s.mask_emb = nn.Parameter(torch.randn(D) * 0.02)
        s.blocks = nn.ModuleList([Block() for _ in range(L)]); s.ln = nn.LayerNorm(D); s.proj = nn.Linear(D, P); s.codes = nn.Parameter(torch.randn(K, P) * 0.02)
    def forward(s, x, mask, y):
        h = s.inp(x); h = torch.where(mask[..., None], s.mask_emb.expand_as(h), h)
        for b in s.blocks: h = b(h)
        z = s.proj(s.ln(h))
        logits = F.normalize(z, dim=-1) @ F.normalize(s.codes, dim=-1).T / 0.1
        return F.cross_entropy(logits[mask], y[mask])
m = M(); opt = torch.optim.AdamW(m.parameters(), lr=5e-4, betas=(0.9, 0.98), eps=1e-6, weight_decay=0.01)
x = torch.randn(B, T, Fdim); y = torch.randint(0, K, (B, T)); mask = torch.rand(B, T) < 0.4
def step():
    opt.zero_grad(); loss = m(x, mask, y); loss.backward(); opt.step(); return loss.item()
for _ in range(3): step()
ts = []
for _ in range(steps):
    t = time.perf_counter(); step(); ts.append((time.perf_counter() - t) * 1000)
print(json.dumps({"ref": "torch", "threads": threads, "ms_per_step": round(statistics.median(ts), 2)}))
