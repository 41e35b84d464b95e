import type { ArmName } from './config.ts';

/** Mean and sample standard deviation (0 for one value). */
export interface Spread {
  mean: number;
  std: number;
  n: number;
}

/**
 * Mean and sample standard deviation of `xs`.
 *
 * @example
 * spread([0.97, 0.98, 0.99]); // { mean: 0.98, std: 0.01, n: 3 }
 */
export function spread(xs: readonly number[]): Spread {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / Math.max(1, n);
  const v = n > 1 ? xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1) : 0;
  return { mean, std: Math.sqrt(v), n };
}

/** One arm's figures as the verdict weighs them. */
export interface ArmFigures {
  arm: ArmName;
  /** Test accuracy of the chosen model, across seeds. */
  accuracy: Spread;
  /** The cost metric of the chosen model, across seeds. */
  cost: Spread;
  /** Training MACs spent, across seeds. */
  trainingMacs: Spread;
  seconds: number;
  /** Every seed's chosen model is within the limits. */
  withinLimits: boolean;
}

/** A difference between two arms and whether it counts as a win. */
export interface Difference {
  better: ArmName;
  worse: ArmName;
  /** In accuracy points (percent). */
  points: number;
  /** The seeds' spread it is weighed against: the two standard deviations added, in points. */
  spreadPoints: number;
  win: boolean;
}

/**
 * `a` against `b` on mean test accuracy: a win only when the difference exceeds the seeds'
 * spread (the sum of both arms' standard deviations, a deliberately strict bar for 3 seeds).
 *
 * @example
 * difference(a, b); // { better: 'search-distilled', worse: 'student', points: 0.7, spreadPoints: 0.3, win: true }
 */
export function difference(a: ArmFigures, b: ArmFigures): Difference {
  const [hi, lo] = a.accuracy.mean >= b.accuracy.mean ? [a, b] : [b, a];
  const points = 100 * (hi.accuracy.mean - lo.accuracy.mean);
  const spreadPoints = 100 * (hi.accuracy.std + lo.accuracy.std);
  return { better: hi.arm, worse: lo.arm, points, spreadPoints, win: points > spreadPoints };
}

const pct = (s: Spread) => `${(100 * s.mean).toFixed(2)}% ± ${(100 * s.std).toFixed(2)}`;
const num = (x: number) => (x >= 1e5 ? x.toExponential(2).replace('e+', 'e') : Math.round(x).toLocaleString('en-US'));

/**
 * The verdict paragraph, generated from the numbers: the best arm within the limits by mean
 * test accuracy, how far it is ahead of the runner-up and of the hand student trained alone
 * (a win only beyond the seeds' spread), at what cost metric, what distillation does for the
 * hand student, and what each arm spent (training MACs and wall time).
 *
 * @example
 * verdict(figures, { metric: 'macs', limits: ['macs<=79400'], seeds: 3 });
 */
export function verdict(arms: readonly ArmFigures[], o: { metric: string; limits: readonly string[]; seeds: number; budgetEpochs?: number }): string {
  const ok = arms.filter((a) => a.withinLimits);
  const within = o.limits.length ? `within ${o.limits.join(', ')}` : 'with no limit';
  if (ok.length === 0) return `No arm's chosen models are all ${within}, so no arm can be recommended.`;
  const ranked = [...ok].sort((a, b) => b.accuracy.mean - a.accuracy.mean);
  const best = ranked[0]!;
  const parts: string[] = [];
  parts.push(`Best model ${within}: the ${best.arm} arm, ${pct(best.accuracy)} test accuracy over ${o.seeds} seeds at ${num(best.cost.mean)} ${o.metric}.`);
  const second = ranked[1];
  if (second) {
    const d = difference(best, second);
    parts.push(d.win
      ? `It beats the runner-up, ${second.arm} (${pct(second.accuracy)}), by ${d.points.toFixed(2)} points, more than the seeds' spread (${d.spreadPoints.toFixed(2)}): the win holds across seeds.`
      : `Its lead over the runner-up, ${second.arm} (${pct(second.accuracy)}), is ${d.points.toFixed(2)} points, within the seeds' spread (${d.spreadPoints.toFixed(2)}): no win.`);
  }
  const peers = ranked.slice(1).filter((a) => !difference(best, a).win && a.cost.mean < best.cost.mean).sort((a, b) => a.cost.mean - b.cost.mean);
  if (peers[0]) {
    const p = peers[0];
    parts.push(`At equal accuracy (within the spread), the ${p.arm} arm is cheaper: ${num(p.cost.mean)} ${o.metric} against ${num(best.cost.mean)} (${(p.cost.mean / best.cost.mean).toFixed(2)}×) at ${pct(p.accuracy)}.`);
  }
  const student = arms.find((a) => a.arm === 'student');
  if (student && best.arm !== 'student' && second?.arm !== 'student') {
    const d = difference(best, student);
    parts.push(`Against the hand student trained on labels alone (${pct(student.accuracy)} at ${num(student.cost.mean)} ${o.metric}): ${d.better === best.arm ? '+' : '-'}${d.points.toFixed(2)} points, ${d.win ? 'beyond' : 'within'} the spread (${d.spreadPoints.toFixed(2)}).`);
  }
  const distilled = arms.find((a) => a.arm === 'distilled');
  if (student && distilled) {
    const d = difference(distilled, student);
    const sign = d.better === 'distilled' ? '+' : '-';
    parts.push(`Distilling the hand student at equal compute: ${sign}${d.points.toFixed(2)} points (${d.win ? (sign === '+' ? 'a win' : 'a loss') : 'within the spread, no difference'}).`);
  }
  const macs = arms.map((a) => a.trainingMacs.mean);
  const gap = (Math.max(...macs) - Math.min(...macs)) / Math.max(...macs);
  parts.push(`Each arm spent ${num(Math.min(...macs))}–${num(Math.max(...macs))} training MACs per seed (${(100 * gap).toFixed(1)}% apart${gap > 0.05 ? `: more than 5%, because an arm leaves up to one epoch of its final model unspent${o.budgetEpochs !== undefined ? ` and the budget pays for only ${o.budgetEpochs.toFixed(1)} epochs of the hand student` : ''} (see the budget table)` : ''}); wall time ${arms.map((a) => `${a.arm} ${Math.round(a.seconds)} s`).join(', ')}.`);
  return parts.join(' ');
}
