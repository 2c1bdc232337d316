/** The most events inside any span of `spanMs` (times in ms): how hard a receiver was hit. For benchmarks and tests. */
export function peakPerWindow(times: readonly number[], spanMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; j < sorted.length; j++) {
    while (sorted[j] - sorted[i] >= spanMs) i++;
    best = Math.max(best, j - i + 1);
  }
  return best;
}
