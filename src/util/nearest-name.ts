/**
 * "Did you mean ...?" for mistyped names (CLI options, commands): the known name closest in optimal
 * string alignment distance (Levenshtein plus adjacent transpositions), if it is close enough to be a
 * plausible typo.
 */

/** Edits (insert, delete, substitute, swap two adjacent characters) turning `a` into `b`. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1, cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/**
 * The known name nearest to `name`, when at most max(1, a third of its length) edits away (ties: the
 * first in `known`'s order), or one that `name` is a prefix of when it is the only such; undefined otherwise.
 */
export function nearestName(name: string, known: Iterable<string>): string | undefined {
  const candidates = [...new Set(known)].filter((k) => k !== name);
  const limit = Math.max(1, Math.floor(name.length / 3));
  let best: string | undefined, bestDistance = Infinity;
  for (const k of candidates) {
    const dist = editDistance(name, k);
    if (dist < bestDistance) {
      best = k;
      bestDistance = dist;
    }
  }
  if (best !== undefined && bestDistance <= limit) return best;
  const extensions = candidates.filter((k) => k.startsWith(name));
  return extensions.length === 1 ? extensions[0] : undefined;
}
