import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { float16Bits } from '../../onnx/fp16.ts';
import { quantizeFloat16, quantizeUint8 } from './quantize.ts';
import type { QuantizedWeight } from './quantize.ts';

/** Decode with TF.js's own reader: the one a browser runs on these bytes. */
function decode(q: QuantizedWeight, n: number): Float32Array {
  const spec = { name: 'w', shape: [n], dtype: 'float32' as const, quantization: q.quantization };
  const t = tf.io.decodeWeights(q.bytes.slice().buffer, [spec as never])['w']!;
  const v = t.dataSync() as Float32Array;
  t.dispose();
  return v;
}

test('float16 bits: exact values, round to nearest even, subnormals, overflow', () => {
  assert.equal(float16Bits(1), 0x3c00);
  assert.equal(float16Bits(-2), 0xc000);
  assert.equal(float16Bits(65504), 0x7bff);
  assert.equal(float16Bits(1e6), 0x7c00);
  assert.equal(float16Bits(2 ** -24), 0x0001); // smallest subnormal
  assert.equal(float16Bits(2 ** -26), 0x0000); // below half of it: zero
  assert.equal(float16Bits(1 + 2 ** -11), 0x3c00); // halfway: ties to even (down)
  assert.equal(float16Bits(1 + 3 * 2 ** -11), 0x3c02); // halfway: ties to even (up)
  assert.ok(Number.isNaN(decode(quantizeFloat16(new Float32Array([NaN])), 1)[0]!));
});

test('float16 weights decode through tf.io.decodeWeights within half-precision rounding', () => {
  const v = Float32Array.from({ length: 2000 }, (_, i) => Math.sin(i * 1.7) * 10 ** ((i % 9) - 5));
  const q = quantizeFloat16(v);
  assert.equal(q.bytes.length, 4000);
  const back = decode(q, v.length);
  for (let i = 0; i < v.length; i++) {
    const a = Math.abs(v[i]!);
    // normal halves: relative error <= 2^-11; subnormals: absolute error <= 2^-25
    const tol = a >= 2 ** -14 ? a * 2 ** -11 : 2 ** -25;
    assert.ok(Math.abs(back[i]! - v[i]!) <= tol * 1.0001, `${v[i]} -> ${back[i]}`);
  }
});

test('uint8 weights: zero stays exact, error within one step, decoded by tf.io.decodeWeights', () => {
  const v = Float32Array.from({ length: 1000 }, (_, i) => (i % 10 === 0 ? 0 : Math.cos(i) * 0.3 - 0.05));
  const q = quantizeUint8(v);
  assert.equal(q.bytes.length, 1000);
  const back = decode(q, v.length);
  const scale = q.quantization.scale!;
  assert.ok(Math.abs(scale - (Math.max(...v) - Math.min(...v)) / 255) < 1e-12);
  for (let i = 0; i < v.length; i++) {
    if (v[i] === 0) assert.equal(back[i], 0);
    assert.ok(Math.abs(back[i]! - v[i]!) <= scale * 1.0001, `${v[i]} -> ${back[i]}`);
  }
  // all-positive and constant tensors
  const pos = quantizeUint8(new Float32Array([2, 3, 4]));
  const pb = decode(pos, 3);
  // no zero in the range: no nudge, so both ends are exact and the middle is half a step off
  assert.ok(Math.abs(pb[0]! - 2) < 1e-6 && Math.abs(pb[2]! - 4) < 1e-6, String(pb));
  assert.ok(Math.abs(pb[1]! - 3) <= pos.quantization.scale! / 2 + 1e-6, String(pb));
  assert.deepEqual([...decode(quantizeUint8(new Float32Array([0.7, 0.7])), 2)], [Math.fround(0.7), Math.fround(0.7)]);
});
