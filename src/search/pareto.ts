import { DistilleryError } from '../core/errors.ts';
import type { Direction } from './types.ts';

/**
 * Pareto tools over minimised objective vectors. Use {@link toMinimization} first when some
 * objectives are maximised.
 */

/**
 * Flips maximised objectives so that every objective is minimised.
 *
 * @example
 * toMinimization([0.98, 1200], ['max', 'min']); // [-0.98, 1200]
 */
export function toMinimization(v: readonly number[], directions: readonly Direction[]): number[] {
  if (v.length !== directions.length) {
    throw new DistilleryError('SEARCH_OBJECTIVES', `a result has ${v.length} objectives but the study has ${directions.length}`, 'report one value per objective, in the order of the directions');
  }
  return v.map((x, i) => (directions[i] === 'max' ? -x : x));
}

/**
 * Whether `a` Pareto-dominates `b` (no worse everywhere, better somewhere; minimisation).
 *
 * @example
 * dominates([1, 2], [1, 3]); // true
 */
export function dominates(a: readonly number[], b: readonly number[]): boolean {
  let better = false;
  for (let i = 0; i < a.length; i++) {
    if (a[i]! > b[i]!) return false;
    if (a[i]! < b[i]!) better = true;
  }
  return better;
}

/**
 * Fast non-dominated sorting (Deb et al. 2002): the fronts as lists of indices, best first.
 *
 * @example
 * nonDominatedSort([[1, 2], [2, 1], [2, 2]]); // [[0, 1], [2]]
 */
export function nonDominatedSort(points: readonly (readonly number[])[]): number[][] {
  const n = points.length;
  const dominatedBy: number[][] = Array.from({ length: n }, () => []);
  const count = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (dominates(points[i]!, points[j]!)) {
        dominatedBy[i]!.push(j);
        count[j]!++;
      } else if (dominates(points[j]!, points[i]!)) {
        dominatedBy[j]!.push(i);
        count[i]!++;
      }
    }
  }
  const fronts: number[][] = [];
  let cur: number[] = [];
  for (let i = 0; i < n; i++) if (count[i] === 0) cur.push(i);
  while (cur.length > 0) {
    fronts.push(cur);
    const next: number[] = [];
    for (const i of cur) {
      for (const j of dominatedBy[i]!) if (--count[j]! === 0) next.push(j);
    }
    cur = next.sort((a, b) => a - b);
  }
  return fronts;
}

/**
 * Rank of every point: 0 for the first front, 1 for the next, ...
 *
 * @example
 * paretoRanks([[1, 2], [2, 1], [2, 2]]); // [0, 0, 1]
 */
export function paretoRanks(points: readonly (readonly number[])[]): number[] {
  const ranks = new Array<number>(points.length).fill(0);
  nonDominatedSort(points).forEach((f, r) => f.forEach((i) => (ranks[i] = r)));
  return ranks;
}

/**
 * Crowding distance of each member of one front (Deb et al. 2002): boundary points get
 * Infinity; others the sum over objectives of the normalised gap between their neighbours.
 * Returned in the order of `front`.
 *
 * @example
 * crowdingDistance([[0, 4], [1, 1], [4, 0]], [0, 1, 2]); // [Infinity, 2, Infinity]
 */
export function crowdingDistance(points: readonly (readonly number[])[], front: readonly number[]): number[] {
  const n = front.length;
  const dist = new Array<number>(n).fill(0);
  if (n <= 2) return dist.fill(Infinity);
  const m = points[front[0]!]!.length;
  for (let k = 0; k < m; k++) {
    const order = [...front.keys()].sort((a, b) => points[front[a]!]![k]! - points[front[b]!]![k]! || a - b);
    const lo = points[front[order[0]!]!]![k]!;
    const hi = points[front[order[n - 1]!]!]![k]!;
    dist[order[0]!] = Infinity;
    dist[order[n - 1]!] = Infinity;
    if (hi === lo) continue;
    for (let i = 1; i < n - 1; i++) {
      dist[order[i]!]! += (points[front[order[i + 1]!]!]![k]! - points[front[order[i - 1]!]!]![k]!) / (hi - lo);
    }
  }
  return dist;
}

/**
 * Indices ordered best first by (non-dominated rank, then larger crowding distance): the
 * order NSGA-II selects in and multi-objective pruning keeps in.
 *
 * @example
 * rankAndCrowd([[1, 1], [0, 3], [3, 0], [2, 2]]); // [1, 2, 0, 3]
 */
export function rankAndCrowd(points: readonly (readonly number[])[]): number[] {
  const out: number[] = [];
  for (const front of nonDominatedSort(points)) {
    const cd = crowdingDistance(points, front);
    const order = [...front.keys()].sort((a, b) => cd[b]! - cd[a]! || front[a]! - front[b]!);
    for (const i of order) out.push(front[i]!);
  }
  return out;
}

/**
 * Exact hypervolume (minimisation) of the region dominated by `points` and bounded by the
 * reference point `ref`; points not strictly better than `ref` in every objective add nothing.
 * 2-D: one sweep, O(n log n). More objectives: slicing objectives (HSO, While et al. 2006),
 * exact, fine for fronts of up to a few hundred points in 3-4 objectives.
 *
 * @example
 * hypervolume([[1, 2], [2, 1]], [3, 3]); // 3
 */
export function hypervolume(points: readonly (readonly number[])[], ref: readonly number[]): number {
  const pts = points.filter((p) => p.length === ref.length && p.every((x, i) => x < ref[i]!)).map((p) => [...p]);
  if (pts.length === 0) return 0;
  return hv(pts, ref);
}

function hv(pts: number[][], ref: readonly number[]): number {
  const m = ref.length;
  if (m === 1) return ref[0]! - Math.min(...pts.map((p) => p[0]!));
  if (m === 2) {
    const s = [...pts].sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
    let area = 0;
    let bestY = ref[1]!;
    for (const p of s) {
      if (p[1]! < bestY) {
        area += (ref[0]! - p[0]!) * (bestY - p[1]!);
        bestY = p[1]!;
      }
    }
    return area;
  }
  // Slice along the last objective: between consecutive values, the (m-1)-D volume of the points below.
  const s = [...pts].sort((a, b) => a[m - 1]! - b[m - 1]!);
  const sub = ref.slice(0, m - 1);
  let vol = 0;
  for (let i = 0; i < s.length; i++) {
    const top = i + 1 < s.length ? s[i + 1]![m - 1]! : ref[m - 1]!;
    const depth = top - s[i]![m - 1]!;
    if (depth <= 0) continue;
    const below = s.slice(0, i + 1).map((p) => p.slice(0, m - 1));
    vol += depth * hv(nonDominated(below), sub);
  }
  return vol;
}

function nonDominated(pts: number[][]): number[][] {
  return pts.filter((p, i) => !pts.some((q, j) => j !== i && (dominates(q, p) || (j < i && q.every((x, k) => x === p[k])))));
}
