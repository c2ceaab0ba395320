/**
 * Cluster quality against frame-level reference labels, as defined in the HuBERT paper (Hsu et al. 2021,
 * "Analysis" of cluster quality): with y a reference label (phone; on FSDD the digit over speech frames) and
 * z a cluster id, both per frame, the joint distribution over frames is P_yz(i, j) = count(i, j) / T, with
 * marginals P_y and P_z.
 * - phone purity   = E_{P_z}[ max_i P_{y|z}(i | z) ]   = sum_j max_i P_yz(i, j)  (how pure each cluster is)
 * - cluster purity = E_{P_y}[ max_j P_{z|y}(j | y) ]   = sum_i max_j P_yz(i, j)  (how concentrated each label is)
 * - PNMI           = I(y; z) / H(y)  (phone-normalised mutual information: the share of the label's
 *   uncertainty that the cluster id removes; 1 when z determines y).
 */
export interface JointCounts {
  /** [numRef, numClusters] row-major counts. */
  counts: Float64Array;
  numRef: number;
  numClusters: number;
  total: number;
}

export interface ClusterQuality {
  phonePurity: number;
  clusterPurity: number;
  pnmi: number;
  /** Mutual information and reference entropy, in nats. */
  mutualInformation: number;
  refEntropy: number;
  frames: number;
  refLabelsUsed: number;
  clustersUsed: number;
}

/** Joint counts from paired sequences; frames with `mask[t] === 0` (when given) are left out. */
export function jointCounts(pairs: { ref: ArrayLike<number>; cluster: ArrayLike<number>; mask?: ArrayLike<number> }[], numRef: number, numClusters: number): JointCounts {
  const counts = new Float64Array(numRef * numClusters);
  let total = 0;
  pairs.forEach(({ ref, cluster, mask }, u) => {
    if (ref.length !== cluster.length) throw new Error(`utterance ${u}: ${ref.length} reference labels but ${cluster.length} cluster ids`);
    for (let t = 0; t < ref.length; t++) {
      if (mask && !mask[t]) continue;
      const i = ref[t], j = cluster[t];
      if (!(i >= 0 && i < numRef) || !(j >= 0 && j < numClusters)) throw new Error(`utterance ${u}, frame ${t}: label ${i} or cluster ${j} out of range`);
      counts[i * numClusters + j]++;
      total++;
    }
  });
  return { counts, numRef, numClusters, total };
}

export function clusterQuality(j: JointCounts): ClusterQuality {
  const { counts, numRef: Y, numClusters: Z, total: T } = j;
  if (T === 0) throw new Error('clusterQuality: no frames');
  const py = new Float64Array(Y), pz = new Float64Array(Z);
  for (let i = 0; i < Y; i++) for (let k = 0; k < Z; k++) {
    const p = counts[i * Z + k] / T;
    py[i] += p;
    pz[k] += p;
  }
  let phonePurity = 0, clusterPurity = 0, mi = 0, hy = 0;
  for (let k = 0; k < Z; k++) {
    let m = 0;
    for (let i = 0; i < Y; i++) m = Math.max(m, counts[i * Z + k]);
    phonePurity += m / T;
  }
  for (let i = 0; i < Y; i++) {
    let m = 0;
    for (let k = 0; k < Z; k++) {
      const c = counts[i * Z + k];
      m = Math.max(m, c);
      if (c > 0) {
        const p = c / T;
        mi += p * Math.log(p / (py[i] * pz[k]));
      }
    }
    clusterPurity += m / T;
    if (py[i] > 0) hy -= py[i] * Math.log(py[i]);
  }
  return {
    phonePurity,
    clusterPurity,
    pnmi: hy > 0 ? mi / hy : 0,
    mutualInformation: mi,
    refEntropy: hy,
    frames: T,
    refLabelsUsed: py.filter((p) => p > 0).length,
    clustersUsed: pz.filter((p) => p > 0).length,
  };
}
