"""Reference for `npm run bench -- kmeans`: scikit-learn 1.2 MiniBatchKMeans semantics re-implemented in numpy
(no scikit-learn needed), with the fairseq HuBERT recipe settings. On this project's machine it reproduced
scikit-learn's reported inertia (6.637e7, seed 0, 286 steps before max_no_improvement).

    python3 scripts/bench/kmeans_reference.py [seed] [path/to/fsdd_mfcc39.npy]
"""
import sys
import time

import numpy as np

seed = int(sys.argv[1]) if len(sys.argv) > 1 else 0
path = sys.argv[2] if len(sys.argv) > 2 else '../shared/bench/fsdd_mfcc39.npy'
X = np.load(path)
n, d = X.shape
k, batch, max_iter, max_no_improvement, n_init = 100, 10000, 100, 100, 20
init_size = min(3 * batch, n)
rs = np.random.RandomState(seed)
xsq = (X.astype(np.float64) ** 2).sum(1)


def kmeans_plusplus(Xs, xs):
    """Greedy k-means++ as sklearn's _kmeans_plusplus: 2 + ln(k) local trials per centre."""
    ns = Xs.shape[0]
    trials = 2 + int(np.log(k))
    centers = np.empty((k, d), np.float32)
    first = rs.randint(ns)
    centers[0] = Xs[first]
    closest = np.maximum(xs[first] - 2 * Xs @ Xs[first] + xs, 0)
    pot = closest.sum()
    for c in range(1, k):
        cand = np.searchsorted(np.cumsum(closest), rs.uniform(size=trials) * pot)
        np.clip(cand, None, ns - 1, out=cand)
        dist = np.maximum(xs[cand][:, None] - 2 * Xs[cand] @ Xs.T + xs[None], 0)
        np.minimum(closest, dist, out=dist)
        pots = dist.sum(1)
        best = np.argmin(pots)
        pot, closest, centers[c] = pots[best], dist[best], Xs[cand[best]]
    return centers


def labels_inertia(Xs, xs, C):
    dist = xs[:, None] - 2 * Xs @ C.T + (C.astype(np.float64) ** 2).sum(1)[None]
    lab = dist.argmin(1)
    return lab, np.maximum(dist[np.arange(len(lab)), lab], 0).sum()


t0 = time.time()
valid = rs.randint(0, n, init_size)
best_inertia, centers = None, None
for _ in range(n_init):
    idx = rs.randint(0, n, init_size)
    C = kmeans_plusplus(X[idx], xsq[idx])
    inertia = labels_inertia(X[valid], xsq[valid], C)[1]
    if best_inertia is None or inertia < best_inertia:
        best_inertia, centers = inertia, C
C = centers.astype(np.float64)
counts = np.zeros(k)
ewa = ewa_min = None
no_improvement = 0
n_steps = (max_iter * n) // batch
for i in range(n_steps):
    idx = rs.randint(0, n, batch)
    Xb = X[idx]
    lab, batch_inertia = labels_inertia(Xb, xsq[idx], C)
    for j in np.unique(lab):
        m = lab == j
        C[j] = (C[j] * counts[j] + Xb[m].sum(0, dtype=np.float64)) / (counts[j] + m.sum())
        counts[j] += m.sum()
    step = i + 1
    if step == 1:
        continue
    alpha = min(batch * 2.0 / (n + 1), 1)
    ewa = batch_inertia / batch if ewa is None else ewa * (1 - alpha) + batch_inertia / batch * alpha
    if ewa_min is None or ewa < ewa_min:
        no_improvement, ewa_min = 0, ewa
    else:
        no_improvement += 1
    if no_improvement >= max_no_improvement:
        break
wall = time.time() - t0
inertia = labels_inertia(X, xsq, C)[1]
print(f'{{"bench":"kmeans-numpy-reference","frames":{n},"dims":{d},"k":{k},"wall_seconds":{wall:.3f},"inertia":{inertia:.6g},"steps":{step}}}')
