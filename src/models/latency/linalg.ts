/**
 * Solves `(XᵀX + λI) w = Xᵀy` (λ not applied to the intercept) by Gaussian elimination.
 *
 * @example
 * ridge([[1, 0], [1, 1], [1, 2]], [1, 3, 5], 0); // [1, 2]
 */
export function ridge(x: readonly (readonly number[])[], y: readonly number[], lambda: number): number[] {
  const k = x[0]?.length ?? 0;
  const a = Array.from({ length: k }, (_, i) => Array.from({ length: k + 1 }, (_, j) => (j === k ? 0 : i === j && i > 0 ? lambda : 0)));
  x.forEach((r, n) => {
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < k; j++) a[i]![j]! += r[i]! * r[j]!;
      a[i]![k]! += r[i]! * y[n]!;
    }
  });
  for (let c = 0; c < k; c++) {
    let p = c;
    for (let r = c + 1; r < k; r++) if (Math.abs(a[r]![c]!) > Math.abs(a[p]![c]!)) p = r;
    [a[c], a[p]] = [a[p]!, a[c]!];
    const d = a[c]![c]!;
    if (Math.abs(d) < 1e-300) continue;
    for (let r = 0; r < k; r++) {
      if (r === c) continue;
      const f = a[r]![c]! / d;
      for (let j = c; j <= k; j++) a[r]![j]! -= f * a[c]![j]!;
    }
  }
  return a.map((row, i) => (Math.abs(row[i]!) < 1e-300 ? 0 : row[k]! / row[i]!));
}
