import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../src/engine/index.ts';
import { buildResolved } from '../src/models/index.ts';
import { asLoaded } from '../src/deploy/predict/profile.ts';
import { randomSpecs, randomMlpSpecs } from '../src/deploy/predict/sources.ts';
import { kernelsOf } from '../src/models/latency/index.ts';
await initEngine({ backend: 'wasm', threads: 1 });
const TFJS_NOOP = new Set(['Reshape', 'Identity', 'Slice', 'Cast']);
const specs = [...randomSpecs(8, 9), ...randomSpecs(8, 19), ...randomMlpSpecs(6, 9)];
let bad = 0;
for (const spec of specs) {
  const m = buildResolved(spec, 1);
  const l = await asLoaded(m);
  const prof = async (mm: typeof m) => { const x = tf.zeros([1, ...spec.input]); const p = await tf.profile(() => { const y = mm.predict(x) as tf.Tensor; y.dataSync(); y.dispose(); }); x.dispose(); return p.kernels.map((k) => k.name).filter((k) => !TFJS_NOOP.has(k) && !k.endsWith('__op')); };
  const a = await prof(m), b = await prof(l);
  const ours = kernelsOf(spec, 'tfjs-wasm').filter((k) => k.op !== 'reshape');
  if (a.length !== b.length || ours.length !== b.length) { bad++; console.log(spec.blocks.map((b) => b.type + ('activation' in b ? ':' + (b as any).activation : '')).join(' '), '\n built', a.length, 'loaded', b.length, 'ours', ours.length, '\n', b.join(','), '\n', ours.map(k=>k.op).join(',')); }
  m.dispose(); l.dispose();
}
console.log('differ', bad, 'of', specs.length);
