import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { Dataset } from '../data/index.ts';
import { resolveSpec } from '../models/index.ts';
import { predictLatency, type LatencyTable } from '../models/latency/index.ts';
import { parseLimits } from '../search/index.ts';
import { SubnetEvaluator } from './evaluator.ts';
import { Supernet } from './net.ts';
import { archFromCandidate, subnetSpec } from './space.ts';
import { TINY_SPACE } from './fixtures.test-util.ts';

await tf.setBackend('cpu');

const SHAPE = [12, 12, 1];
const none: Dataset = { x: new Float32Array(0), y: new Int32Array(0), shape: SHAPE, numClasses: 10, classNames: [] };

/** No entries: every block is priced by one line, 0.01 ms + 1e-6 ms per MAC, so the dense head adds 0.01012 ms. */
const table: LatencyTable = {
  version: 2, runtime: 'tfjs-wasm', threads: 1, batch: 1, device: { cpus: 1, cpuModel: 'test', platform: 'test' }, createdAt: '',
  entries: {}, emptyMs: {}, emptyFit: [0, 0], fits: { '*': { coef: [0.01, 1e-6, 0, 0], n: 1 } }, scale: 1, kindScales: {}, overheadMs: 0,
};

test('a subnet\'s predicted latency is of the model that runs: with the dense head the builder appends', () => {
  const net = new Supernet(TINY_SPACE, SHAPE, 10, 1);
  try {
    const ev = new SubnetEvaluator({
      net, train: none, validation: none, objectives: [{ metric: 'accuracy', direction: 'max' }],
      limits: parseLimits(['predictedLatencyMs<=1000']), calibrationSamples: 1, seed: 1, latencyTable: table,
    });
    const r = ev.check({});
    const spec = { ...subnetSpec(TINY_SPACE, archFromCandidate(TINY_SPACE, {})), input: SHAPE };
    const full = predictLatency(resolveSpec(spec, { numClasses: 10 }), table).ms;
    const headless = predictLatency(spec, table).ms;
    assert.ok(Math.abs(full - headless - (0.01 + 12 * 10 * 1e-6)) < 1e-9, `${full} vs ${headless}`);
    assert.ok(Math.abs(r.metrics['predictedLatencyMs']! - full) < 1e-12, `${r.metrics['predictedLatencyMs']} should be ${full}, not the headless ${headless}`);
    // and a limit between the two is broken by the full model
    const tight = new SubnetEvaluator({
      net, train: none, validation: none, objectives: [{ metric: 'accuracy', direction: 'max' }],
      limits: parseLimits([`predictedLatencyMs<=${(full + headless) / 2}`]), calibrationSamples: 1, seed: 1, latencyTable: table,
    });
    assert.ok(tight.check({}).violation > 0);
  } finally {
    net.dispose();
  }
});
