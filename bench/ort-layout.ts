/**
 * What onnxruntime runs for distillery's blocks on this machine, and what a standalone
 * BatchNorm costs inside a model depending on the layout it lands in. The latency predictor's
 * onnx kernel list (`kernelsOf`) leaves out onnxruntime's NCHWc layout (blocked channels,
 * ReorderInput/ReorderOutput between layouts); this prints the optimised graph of small probe
 * models, so the rules can be read off on any CPU (the block is 16 channels with AVX-512, 8
 * with AVX2), then times pairs of models that differ by one BatchNorm block, interleaved in the
 * same rounds, to show what that BN costs where it became a blocked depthwise conv and where
 * it stayed a plain BatchNormalization.
 *
 *   node --import tsx bench/ort-layout.ts [--iterations 30] [--rounds 8]
 *
 * `c:` marks a node of onnxruntime's NCHWc domain (the blocked layout).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { initEngine } from '../src/engine/index.ts';
import { buildResolved, resolveSpec, type ModelSpec } from '../src/models/index.ts';
import { decodeOnnx, exportOnnx } from '../src/onnx/index.ts';
import { openOnnx } from '../src/runtime/index.ts';
import { measureModels } from '../src/deploy/predict/index.ts';

const { values } = parseArgs({ options: { iterations: { type: 'string', default: '30' }, rounds: { type: 'string', default: '8' } } });

const head = [{ type: 'globalavgpool' }, { type: 'dense', units: 10 }] as const;
const conv = (filters: number, activation = 'relu'): ModelSpec['blocks'][number] => ({ type: 'conv2d', filters, kernel: 3, activation } as ModelSpec['blocks'][number]);
const bn = { type: 'batchnorm' } as const;
const pool = { type: 'maxpool' } as const;
const spec = (...blocks: ModelSpec['blocks']): ModelSpec => ({ input: [28, 28, 1], blocks: [...blocks, ...head] } as ModelSpec);

const probes: [string, ModelSpec][] = [
  ['conv8', spec(conv(8))],
  ['conv16', spec(conv(16))],
  ['conv24', spec(conv(24))],
  ['conv16 > conv8', spec(conv(16), conv(8))],
  ['conv8 > conv16', spec(conv(8), conv(16))],
  ['conv24 > conv16', spec(conv(24), conv(16))],
  ['conv8 > bn', spec(conv(8), bn)],
  ['conv8 linear > bn', spec(conv(8, 'linear'), bn)],
  ['conv8 > bn > conv16', spec(conv(8), bn, conv(16))],
  ['conv16 > maxpool > bn', spec(conv(16), pool, bn)],
  ['conv24 > maxpool > bn', spec(conv(24), pool, bn)],
  ['conv16 swish > bn', spec(conv(16, 'swish'), bn)],
  ['mlp: dense relu > bn', { input: [28, 28, 1], blocks: [{ type: 'flatten' }, { type: 'dense', units: 64, activation: 'relu' }, bn, { type: 'dense', units: 10 }] } as ModelSpec],
];
// pairs that differ by one BN block: [label, with, without]
const pairs: [string, ModelSpec, ModelSpec][] = [
  ['BN after conv16 relu (becomes a blocked depthwise conv)', spec(conv(16), bn), spec(conv(16))],
  ['BN after conv16 relu > maxpool (blocked)', spec(conv(16), pool, bn), spec(conv(16), pool)],
  ['BN after conv24 relu > maxpool (plain BatchNormalization)', spec(conv(24), pool, bn), spec(conv(24), pool)],
  ['BN after conv8 relu (blocked, padded to the block)', spec(conv(8), bn), spec(conv(8))],
];

await initEngine({ backend: 'cpu', threads: 1 });
const dir = mkdtempSync(join(tmpdir(), 'distillery-ort-layout-'));
try {
  process.stdout.write(`onnxruntime's optimised graph (1 thread, all optimisations), ${process.arch}:\n`);
  for (const [i, [name, s]] of probes.entries()) {
    const m = buildResolved(resolveSpec(s), 1);
    const path = join(dir, `p${i}.onnx`);
    const session = await openOnnx(`p${i}`, { bytes: await exportOnnx(m), threads: 1, optimizedModelPath: path });
    await session.release();
    m.dispose();
    const nodes = decodeOnnx(new Uint8Array(readFileSync(path))).graph!.node!.map((n) => `${n.domain ? 'c:' : ''}${n.opType}`);
    process.stdout.write(`  ${name.padEnd(24)} ${nodes.join(' ')}\n`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const models = pairs.flatMap(([, a, b]) => [resolveSpec(a), resolveSpec(b)]);
const load0 = loadavg()[0]!;
const { ms } = await measureModels(models, { runtime: 'onnx', threads: 1, iterations: Number(values.iterations), rounds: Number(values.rounds) });
process.stdout.write(`\nwhat one BN block adds inside a model (onnx, 1 thread, batch 1; ${values.rounds} interleaved rounds of ${values.iterations} runs, each model's fastest round):\n`);
pairs.forEach(([label], i) => {
  const [w, wo] = [ms[2 * i]! * 1000, ms[2 * i + 1]! * 1000];
  process.stdout.write(`  ${label.padEnd(58)} ${(w - wo).toFixed(2)} µs (${w.toFixed(2)} with, ${wo.toFixed(2)} without)\n`);
});
process.stdout.write(`load average ${load0.toFixed(1)} at the start, ${loadavg()[0]!.toFixed(1)} at the end\n`);
