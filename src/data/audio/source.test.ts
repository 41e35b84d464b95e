import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { DistilleryError } from '../../core/errors.ts';
import { Rng } from '../../core/rng.ts';
import { tempFiles } from '../fixtures.test-util.ts';
import { absoluteDataPaths, parseDataConfig } from '../config.ts';
import { loadData } from '../load.ts';
import { sine, writeWav } from './fixtures.test-util.ts';

const t = tempFiles();
after(() => t.done());

async function fails(fn: () => Promise<unknown>, code: string, ...parts: string[]): Promise<void> {
  let caught: unknown;
  try {
    await fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof DistilleryError, `expected DistilleryError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  for (const p of parts) assert.ok(caught.message.includes(p), `message "${caught.message}" lacks "${p}"`);
}

// A folder at 8 kHz with 0.25 s clips: yes and no by speakers a..d, a stereo and a 16 kHz clip,
// an unknown word, and noise. testing_list.txt holds speaker d.
const root = join(t.dir, 'kws');
const RATE = 8000;
const N = 2000;
for (const [w, hz] of [['yes', 500], ['no', 900], ['cat', 1300]] as const) {
  for (const s of ['a', 'b', 'c', 'd']) writeWav(join(root, w, `${s}_nohash_0.wav`), { rate: RATE, channels: [sine(1600, hz, RATE)] });
}
// Stereo, longer than the clip: mixed down and cut.
writeWav(join(root, 'yes', 'e_nohash_0.wav'), { rate: RATE, channels: [sine(3000, 500, RATE, 0.6), sine(3000, 500, RATE, 0.2)], encoding: 'pcm24' });
// At 16 kHz: resampled to 8 kHz.
writeWav(join(root, 'no', 'f_nohash_0.wav'), { rate: 16000, channels: [sine(3200, 900, 16000)] });
writeWav(join(root, '_background_noise_', 'hum.wav'), { rate: RATE, channels: [sine(8000, 60, RATE, 0.3)] });
writeFileSync(join(root, 'testing_list.txt'), 'yes/d_nohash_0.wav\nno/d_nohash_0.wav\ncat/d_nohash_0.wav\n');
writeFileSync(join(root, 'validation_list.txt'), 'yes/c_nohash_0.wav\nno/c_nohash_0.wav\n');
const source = { type: 'audio' as const, folder: root, sampleRate: RATE, clipSeconds: 0.25, words: ['yes', 'no'] };

describe('audio data.source', () => {
  test('a folder: waveforms [n, samples], Speech Commands classes, its own splits', async () => {
    const data = await loadData({ source }, { baseDir: t.dir, seed: 1 });
    assert.deepEqual(data.train.classNames, ['_silence_', '_unknown_', 'yes', 'no']);
    assert.deepEqual(data.train.shape, [N]);
    // train: yes a,b,e + no a,b,f = 6 keywords, ceil(0.6) = 1 silence, 1 unknown (cat).
    assert.equal(data.train.y.length, 8);
    assert.equal(data.train.x.length, 8 * N);
    const counts = [0, 0, 0, 0];
    for (const y of data.train.y) counts[y]++;
    assert.deepEqual(counts, [1, 1, 3, 3]);
    assert.deepEqual(Array.from(data.test!.y).sort(), [0, 1, 2, 3]);
    // validation: yes/c, no/c and one silence; cat/c is in no list, so it is a training unknown.
    assert.equal(data.validation!.y.length, 3);
    assert.equal(data.audio?.sampleRate, RATE);
    assert.equal(data.audio?.noise.length, 1);
    // Every clip of 1600 samples is zero-padded to 2000.
    const i = Array.from(data.test!.y).indexOf(2);
    const clip = data.test!.x.subarray(i * N, (i + 1) * N);
    assert.ok(Math.abs(clip[100] - 0.5 * Math.sin((2 * Math.PI * 500 * 100) / RATE)) < 1e-4);
    assert.ok(clip.subarray(1600).every((v) => v === 0));
    // The silence clip is a stretch of the 60 Hz hum at a volume < 1: non-zero, below 0.3.
    const si = Array.from(data.test!.y).indexOf(0);
    const sil = data.test!.x.subarray(si * N, (si + 1) * N);
    const peak = sil.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    assert.ok(peak > 0 && peak < 0.3, `silence peak ${peak}`);
  });

  test('stereo is mixed down and cut; 16 kHz is resampled to the configured 8 kHz', async () => {
    const data = await loadData({ source: { ...source, words: undefined, validationPercent: 0 } }, { baseDir: t.dir, seed: 1 });
    // No words: every folder is a class, no silence, no unknown.
    assert.deepEqual(data.train.classNames, ['cat', 'no', 'yes']);
    const all = [data.train, data.validation!];
    const find = (hz: number, amp: number): boolean =>
      all.some((ds) => {
        for (let k = 0; k < ds.y.length; k++) {
          const c = ds.x.subarray(k * N, (k + 1) * N);
          let worst = 0;
          for (let i = 200; i < 1400; i++) worst = Math.max(worst, Math.abs(c[i] - amp * Math.sin((2 * Math.PI * hz * i) / RATE)));
          if (worst < 2e-3) return true;
        }
        return false;
      });
    // The stereo clip (0.6 and 0.2 in phase) mixes to amplitude 0.4, 2000 of its 3000 samples kept.
    assert.ok(find(500, 0.4), 'the mixed-down stereo clip');
    assert.ok(find(900, 0.5), 'the resampled 16 kHz clip, and the 8 kHz ones');
  });

  test('a manifest of path,label rows, with a test manifest', async () => {
    writeFileSync(join(root, 'train.csv'), 'path,label\nyes/a_nohash_0.wav,yes\nno/a_nohash_0.wav,no\n"cat/a_nohash_0.wav",other\n');
    writeFileSync(join(root, 'test.csv'), 'label,path\nyes,yes/d_nohash_0.wav\n');
    const data = await loadData({ source: { type: 'audio', manifest: 'kws/train.csv', test: 'kws/test.csv', sampleRate: RATE, clipSeconds: 0.25 }, validation: 1 }, { baseDir: t.dir, seed: 1 });
    assert.deepEqual(data.train.classNames, ['no', 'other', 'yes']);
    assert.equal(data.train.y.length + data.validation!.y.length, 3);
    assert.deepEqual(Array.from(data.test!.y), [2]);
  });

  test('absoluteDataPaths: a run stores the folder, manifests and noise folder as absolute paths', () => {
    const f = absoluteDataPaths(parseDataConfig({ source: { type: 'audio', folder: 'kws' } }), '/proj');
    assert.equal((f.source as { folder: string }).folder, '/proj/kws');
    const m = absoluteDataPaths(parseDataConfig({ source: { type: 'audio', manifest: 'a/train.csv', test: '/abs/test.csv', noise: 'n' } }), '/proj');
    assert.deepEqual([m.source].map((s) => { const a = s as { manifest: string; test: string; noise: string; folder?: string }; return [a.manifest, a.test, a.noise, a.folder]; })[0], ['/proj/a/train.csv', '/abs/test.csv', '/proj/n', undefined]);
  });

  test('augment: time shift and noise, seeded, applied to the raw clips', async () => {
    const data = await loadData({ source, augment: { timeShift: 0.05, noise: { probability: 1, snr: [10, 10] } } }, { baseDir: t.dir, seed: 1 });
    assert.ok(data.augment);
    const run = (seed: number) => {
      const x = data.train.x.slice(0, 2 * N);
      data.augment!({ x, y: data.train.y.slice(0, 2), n: 2 }, [N], new Rng(seed));
      return x;
    };
    assert.deepEqual(run(3), run(3));
    assert.notDeepEqual(run(3), run(4));
    assert.notDeepEqual(run(3), data.train.x.slice(0, 2 * N));
  });

  test('bad input: a forbidden sample rate, folder and data.validation, shift on audio, noise without recordings', async () => {
    await fails(() => loadData({ source: { ...source, acceptRates: [RATE] } }, { baseDir: t.dir, seed: 1 }), 'DATA_WAV_RATE', 'f_nohash_0.wav', '16000 Hz', 'acceptRates [8000]');
    await fails(() => loadData({ source, validation: 0.2 }, { baseDir: t.dir, seed: 1 }), 'CONFIG_INVALID', 'data.validation', 'speaker');
    await fails(() => loadData({ source, augment: { shift: 2 } }, { baseDir: t.dir, seed: 1 }), 'CONFIG_INVALID', 'timeShift');
    writeFileSync(join(root, 'm.csv'), 'path,label\nyes/a_nohash_0.wav,yes\n');
    await fails(() => loadData({ source: { type: 'audio', manifest: join(root, 'm.csv'), sampleRate: RATE }, augment: { noise: {} } }, { baseDir: t.dir, seed: 1 }), 'CONFIG_INVALID', 'no background noise');
    await fails(() => loadData({ source: { type: 'audio', folder: root, manifest: 'm.csv' } }, { baseDir: t.dir, seed: 1 }), 'CONFIG_INVALID', 'exactly one of folder or manifest');
    await fails(() => loadData({ source: { type: 'audio', folder: root, rate: 8000 } as never }, { baseDir: t.dir, seed: 1 }), 'CONFIG_INVALID', 'rate');
  });
});
