import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { chromiumSkip } from '../../test/helpers/browser.ts';
import { initEngine } from '../engine/index.ts';
import { buildModel } from '../models/index.ts';
import { openBrowser, webModelOf } from './browser.ts';

const skip = chromiumSkip();

test('the browser runtime computes what Node computes: same model, same inputs, outputs within 1e-5', { skip }, async () => {
  await initEngine({ backend: 'wasm', threads: 1 });
  // every kind of layer the search spaces build: conv + BN + relu6, depthwise, SE, hswish, pools, dense
  const spec = {
    blocks: [
      { type: 'conv2d', filters: 8, stride: 2, batchNorm: true, activation: 'relu6' },
      { type: 'mbconv', filters: 8, expansion: 2, se: 0.25, activation: 'hswish' },
      { type: 'sepconv', filters: 12, kernel: 5, activation: 'swish' },
      { type: 'maxpool' },
      { type: 'flatten' },
      { type: 'dense', units: 16, activation: 'relu' },
      { type: 'dense', units: 10 },
    ],
  };
  const model = buildModel(spec as never, { inputShape: [16, 16, 1], numClasses: 10, seed: 3 });
  const x = Float32Array.from({ length: 3 * 256 }, (_, i) => Math.sin(i * 0.37));
  const expected = tf.tidy(() => (model.predict(tf.tensor(x, [3, 16, 16, 1])) as tf.Tensor).dataSync().slice());
  const b = await openBrowser({ threads: 1 });
  try {
    assert.equal(b.info.backend, 'wasm');
    assert.equal(b.info.threads, 1);
    assert.equal(b.info.isolated, true, 'cross-origin isolated page: a 5 µs timer');
    const id = await b.load(await webModelOf(model));
    const key = await b.prepare(id, 3, 1, x);
    const got = await b.predict(key, id);
    assert.deepEqual(got.shape, [3, 10]);
    let worst = 0;
    for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(got.data[i]! - expected[i]!));
    assert.ok(worst < 1e-5, `largest difference ${worst}`);
    // a different input gives a different output: the page really used the data it was sent
    const other = await b.predict(await b.prepare(id, 3, 7), id);
    assert.ok(Math.abs(other.data[0]! - expected[0]!) > 1e-6);
    const t = await b.time(key, id, { warmup: 3, maxWarmup: 6, iterations: 4, tolerance: 0.05 });
    assert.equal(t.times.length, 4);
    assert.ok(t.warmup >= 3 && t.warmup <= 6, String(t.warmup));
    for (const ms of t.times) assert.ok(ms > 0 && ms < 5000, String(ms));
    await b.unload(id);
  } finally {
    await b.close();
    model.dispose();
  }
});

test('a Chromium that cannot start is a BROWSER_UNAVAILABLE error naming it', async () => {
  await assert.rejects(openBrowser({ executable: '/nonexistent/chromium' }), (e: Error & { code?: string }) => e.code === 'BROWSER_UNAVAILABLE' && e.message.includes('/nonexistent/chromium'));
});
