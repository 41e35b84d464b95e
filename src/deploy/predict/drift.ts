/**
 * Taking a shared machine's drift out of interleaved timings. On a machine whose other jobs
 * come and go (or a VM whose host does), every model timed in the same second runs slower or
 * faster together: the predictor's bench on this project's 2-core machine saw whole rounds
 * 1.5-1.8x slower than others a few seconds later. Such a factor is the machine's state, not the
 * model's cost, and no predictor from a spec can know it; left in, it swamps both the
 * predictor's error and the noise floor. Both corrections here are ratios between timings
 * taken close together, so they hold whatever the load.
 */

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
}

/**
 * Per-round figures with the machine's drift divided out. `per[i][r]` is model i's figure in
 * round r, the models timed in list order within each round. The machine's speed when model i
 * was timed in round r is read from its neighbours in that round (up to `window` models either
 * side, itself left out): the median over them of their figure in round r over their median
 * over all rounds. Each figure is divided by that factor, so a burst that slowed a stretch of
 * the round slows none of its figures, while what differs between models stays. Needs 2
 * rounds and 2 models; with fewer the figures are returned as they are.
 *
 * @example
 * // the second round ran 2x slower for everyone
 * driftCorrected([[1, 2], [2, 4], [3, 6]]); // [[1.33, 1.33], [2.67, 2.67], [4, 4]]
 */
export function driftCorrected(per: readonly (readonly number[])[], window = 15): number[][] {
  const rounds = Math.min(...per.map((v) => v.length));
  if (per.length < 2 || !(rounds >= 2)) return per.map((v) => [...v]);
  const ratio = per.map((v) => {
    const m = median(v);
    return v.map((x) => x / m);
  });
  return per.map((v, i) =>
    v.map((x, r) => {
      const near: number[] = [];
      for (let j = Math.max(0, i - window); j <= Math.min(per.length - 1, i + window); j++) if (j !== i && r < ratio[j]!.length) near.push(ratio[j]![r]!);
      const f = median(near);
      return f > 0 ? x / f : x;
    }),
  );
}

/**
 * The factor that puts figures measured now on the scale of a reference measurement of the
 * same anchor models (the profile's calibration models, say): the median over anchors of
 * reference / now. Multiply today's figures by it, and a machine that runs 20% slower today
 * than when the table was profiled no longer reads as a 20% prediction error.
 *
 * @example
 * anchorScale([1.2, 2.4, 3.6], [1, 2, 3]); // 0.8333
 */
export function anchorScale(now: readonly number[], reference: readonly number[]): number {
  const r = now.map((v, i) => reference[i]! / v).filter((x) => Number.isFinite(x) && x > 0);
  return r.length === 0 ? 1 : median(r);
}
