import { elasticSpaceSchema } from './space.ts';

/** A small elastic space of the tests: two stages, every kind of choice (7 -> 5 -> 3 kernels in the second). */
export const TINY_SPACE = elasticSpaceSchema.parse({
  stem: { filters: 4 },
  stages: [
    { filters: 8, stride: 2, depth: [1, 2], expansion: [2, 3], kernel: [3, 5] },
    { filters: 12, stride: 1, depth: [1, 2], expansion: [2, 4], kernel: [3, 5, 7] },
  ],
});
