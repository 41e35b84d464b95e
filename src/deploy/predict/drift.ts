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
 * round r, the models timed in list order within each round (or in the order `pos` gives:
 * `pos[i][r]` is model i's place in round r's timing order, as {@link interleave} lays it out).
 * The machine's speed when model i was timed in round r is read from the models timed just
 * before and after it in that round (up to `window` either side, itself left out): the median
 * over them of their figure in round r over their median over all rounds. Each figure is
 * divided by that factor, so a burst that slowed a stretch of the round slows none of its
 * figures, while what differs between models stays. Needs 2 rounds and 2 models; with fewer
 * the figures are returned as they are.
 *
 * @example
 * // the second round ran 2x slower for everyone
 * driftCorrected([[1, 2], [2, 4], [3, 6]]); // [[1.33, 1.33], [2.67, 2.67], [4, 4]]
 */
export function driftCorrected(per: readonly (readonly number[])[], window = 15, pos?: readonly (readonly number[])[]): number[][] {
  const rounds = Math.min(...per.map((v) => v.length));
  if (per.length < 2 || !(rounds >= 2)) return per.map((v) => [...v]);
  const ratio = per.map((v) => {
    const m = median(v);
    return v.map((x) => x / m);
  });
  // per round, the models in the order they were timed
  const timed = Array.from({ length: rounds }, (_, r) => {
    const ix = per.map((_, i) => i);
    return pos ? ix.sort((a, b) => pos[a]![r]! - pos[b]![r]!) : ix;
  });
  const place = timed.map((order) => {
    const at = new Array<number>(order.length);
    order.forEach((m, k) => (at[m] = k));
    return at;
  });
  return per.map((v, i) =>
    v.map((x, r) => {
      if (r >= rounds) return x;
      const order = timed[r]!;
      const k = place[r]![i]!;
      const near: number[] = [];
      for (let j = Math.max(0, k - window); j <= Math.min(order.length - 1, k + window); j++) if (j !== k) near.push(ratio[order[j]!]![r]!);
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

/**
 * The order to time `n` models in over `rounds` passes: round-robin (every model once per round,
 * so a slow stretch of the machine falls on all models alike rather than on whichever was being
 * timed then), each round starting a different stride further on and every other round running
 * backwards, so no model always sits at a round's start or end (where a burst between rounds
 * lands) and a drift that builds up across a round is felt early by some rounds, late by others.
 * Entries are `[round, model]`.
 *
 * @example
 * interleave(3, 2); // [[0, 0], [0, 1], [0, 2], [1, 1], [1, 0], [1, 2]]
 */
export function interleave(n: number, rounds: number): [number, number][] {
  const out: [number, number][] = [];
  if (n <= 0) return out;
  for (let r = 0; r < rounds; r++) {
    // forwards or backwards from a start that moves on by 0.618 of the list per round (the
    // golden ratio: successive starts scatter over the whole list instead of cycling)
    const start = (r * Math.max(1, Math.floor(n * 0.618))) % n;
    for (let k = 0; k < n; k++) out.push([r, r % 2 === 0 ? (start + k) % n : (start - k + n) % n]);
  }
  return out;
}
