import { z } from 'zod';
import { DistilleryError } from '../../core/errors.ts';

/**
 * The options a layer-to-layer term shares: either a `student` and a `teacher` feature, or
 * `layers: uniform` (every transformer layer of the student, mapped onto the teacher's as
 * {@link uniformLayerMap} does), plus the term's own options.
 *
 * @example
 * const schema = layerPairOptions({ heads: z.enum(['map', 'mean']).default('map') });
 */
export function layerPairOptions<T extends z.ZodRawShape>(extra: T) {
  return z
    .object({
      student: z.string().min(1).optional(),
      teacher: z.string().min(1).optional(),
      /** Pair every student transformer layer with a teacher layer, TinyBERT's uniform strategy. */
      layers: z.literal('uniform').optional(),
      ...extra,
    })
    .strict()
    .refine((raw) => {
      const o = raw as { student?: string; teacher?: string; layers?: string };
      return o.layers === undefined ? o.student !== undefined && o.teacher !== undefined : o.student === undefined && o.teacher === undefined;
    }, {
      message: 'give student and teacher (feature names), or layers: uniform, not both',
      path: ['layers'],
    });
}

/**
 * TinyBERT's uniform layer mapping (Jiao et al. 2020, §4.2): student layer m of M (1-based)
 * learns from teacher layer g(m) = floor(m · N / M) of N, so the last layers meet and the
 * others are spread evenly (BERT-base 12 onto 4: layers 3, 6, 9, 12).
 *
 * @example
 * uniformLayerMap(2, 4); // [2, 4]
 * uniformLayerMap(3, 4); // [1, 2, 4]
 */
export function uniformLayerMap(studentLayers: number, teacherLayers: number): number[] {
  if (teacherLayers === 0) {
    throw new DistilleryError('LOSS_LAYER_MAP', 'loss: layers: uniform needs the teacher\'s transformer layers, and this teacher gives none',
      'layer terms need a TF.js teacher trained here with transformer blocks (an ONNX teacher gives its logits only); drop hidden/attention or use such a teacher', 'loss');
  }
  if (studentLayers < 1 || teacherLayers < studentLayers) {
    throw new DistilleryError('LOSS_LAYER_MAP', `loss: layers: uniform maps ${studentLayers} student transformer layer(s) onto ${teacherLayers} of the teacher; it needs 1 <= student layers <= teacher layers`,
      'give the student fewer transformer blocks than the teacher, or name the pairs with student: and teacher:', 'loss');
  }
  return Array.from({ length: studentLayers }, (_, i) => Math.floor(((i + 1) * teacherLayers) / studentLayers));
}

/** The transformer blocks of a student and a teacher, by block index in order (what `layers: uniform` maps). */
export interface TransformerLayers {
  readonly student: readonly number[];
  readonly teacher: readonly number[];
}

/**
 * Replaces each `layers: uniform` term by one term per mapped pair: `hidden` pairs the
 * embeddings' outputs (`b0`, TinyBERT's embedding loss) and each student transformer block's
 * output with its teacher block's; `attention` pairs their maps (`b<i>.attention`). Each pair
 * keeps the term's weight (TinyBERT sums the layers' losses).
 *
 * @example
 * expandLayerTerms([{ term: 'attention', weight: 1, layers: 'uniform', heads: 'map' }], { student: [1, 2], teacher: [1, 2, 3, 4] });
 * // [{ term: 'attention', weight: 1, heads: 'map', student: 'b1.attention', teacher: 'b2.attention' }, { ... 'b2.attention', 'b4.attention' }]
 */
export function expandLayerTerms<C extends { term: string; [k: string]: unknown }>(configs: readonly C[], layers: TransformerLayers): C[] {
  return configs.flatMap((c) => {
    if (c['layers'] !== 'uniform') return [c];
    const { layers: _, ...rest } = c;
    const g = uniformLayerMap(layers.student.length, layers.teacher.length);
    const pairs = layers.student.map((s, m) => [s, layers.teacher[g[m]! - 1]!] as const);
    if (c.term === 'attention') return pairs.map(([s, t]) => ({ ...rest, student: `b${s}.attention`, teacher: `b${t}.attention` }) as unknown as C);
    return [[0, 0] as const, ...pairs].map(([s, t]) => ({ ...rest, student: `b${s}`, teacher: `b${t}` }) as unknown as C);
  });
}
