import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fails, tempFiles } from '../fixtures.test-util.ts';
import { writeWav } from './fixtures.test-util.ts';
import type { FolderOptions } from './folder.ts';
import { indexFolder, speakerPercent, whichSet } from './folder.ts';

const t = tempFiles();
after(() => t.done());

const OPTS: FolderOptions = { validationPercent: 10, testPercent: 10, silencePercent: 0, unknownPercent: 0, seed: 59185 };


/** A folder of tiny clips: each label gets one clip per speaker. */
function layout(name: string, labels: readonly string[], speakers: readonly string[], extra: Record<string, string> = {}): string {
  const root = join(t.dir, name);
  for (const l of labels) for (const s of speakers) writeWav(join(root, l, `${s}_nohash_0.wav`), { rate: 16000, channels: [[0.1, 0.2]] });
  for (const [f, text] of Object.entries(extra)) writeFileSync(join(root, f), text);
  return root;
}

describe('Speech Commands split', () => {
  test("speakerPercent equals Python's which_set arithmetic (hashlib.sha1, mod 2^27, * 100/(2^27-1))", () => {
    // Printed by: re.sub(r'_nohash_.*$', '', name); int(sha1(h).hexdigest(), 16) % 2**27 * (100.0 / (2**27 - 1))
    const python: [string, number][] = [
      ['yes/0a7c2a8d_nohash_0.wav', 56.836387193474074],
      ['e/1b4c9b89_nohash_2.wav', 12.191538603540797],
      ['spk5', 1.080276080073983],
      ['spk7', 9.647845548747819],
      ['spk1', 85.93484078299134],
      ['f/x.wav', 27.54918431899834],
    ];
    for (const [name, p] of python) assert.ok(Math.abs(speakerPercent(name) - p) < 1e-9, `${name}: ${speakerPercent(name)} vs ${p}`);
    assert.equal(speakerPercent('no/0a7c2a8d_nohash_1.wav'), speakerPercent('yes/0a7c2a8d_nohash_0.wav'));
    assert.equal(whichSet('a/spk5_nohash_3.wav', 10, 10), 'validation');
    assert.equal(whichSet('a/e_nohash_0.wav', 10, 10), whichSet('b/e_nohash_9.wav', 10, 10));
    assert.equal(whichSet('e/1b4c9b89_nohash_2.wav', 10, 10), 'test');
    assert.equal(whichSet('e/1b4c9b89_nohash_2.wav', 13, 10), 'validation');
  });

  test('without lists: one speaker never straddles splits, and every clip lands once', () => {
    const speakers = Array.from({ length: 40 }, (_, i) => `spk${i}`);
    const root = layout('hash', ['go', 'stop'], speakers);
    const idx = indexFolder(root, OPTS);
    const where = new Map<string, string>();
    let total = 0;
    for (const split of ['train', 'validation', 'test'] as const) {
      for (const c of idx[split]) {
        total++;
        const spk = (c.path as string).replace(/^.*\//, '').replace(/_nohash_.*$/, '');
        assert.equal(where.get(spk) ?? split, split, `${spk} in ${where.get(spk)} and ${split}`);
        where.set(spk, split);
      }
    }
    assert.equal(total, 80);
    // Python's which_set puts spk30 and spk36 (14.8, 12.8) in testing and 10 speakers below 10 in validation.
    const bySplit = (s: string) => [...where].filter(([, v]) => v === s).map(([k]) => k).sort();
    assert.deepEqual(bySplit('test'), ['spk30', 'spk36']);
    assert.deepEqual(bySplit('validation'), ['spk10', 'spk16', 'spk19', 'spk21', 'spk24', 'spk25', 'spk31', 'spk34', 'spk5', 'spk7']);
    assert.equal(idx.test.length, 4);
    assert.deepEqual(idx.classNames, ['go', 'stop']);
  });

  test('lists win over the hash; unknown and silence sized as the data set does', () => {
    const speakers = Array.from({ length: 20 }, (_, i) => `s${i}`);
    const root = layout('lists', ['yes', 'no', 'cat', 'dog'], speakers, {
      'testing_list.txt': ['yes', 'no', 'cat', 'dog'].flatMap((l) => [`${l}/s0_nohash_0.wav`, `${l}/s1_nohash_0.wav`]).join('\n') + '\n',
      'validation_list.txt': 'yes/s2_nohash_0.wav\r\nno/s2_nohash_0.wav\r\ncat/s2_nohash_0.wav\r\n',
    });
    mkdirSync(join(root, '_background_noise_'));
    writeWav(join(root, '_background_noise_', 'white.wav'), { rate: 16000, channels: [[0.1, -0.1, 0.1]] });
    const idx = indexFolder(root, { ...OPTS, words: ['yes', 'no'], silencePercent: 50, unknownPercent: 25 });
    assert.deepEqual(idx.classNames, ['_silence_', '_unknown_', 'yes', 'no']);
    const count = (split: 'train' | 'validation' | 'test', label: string) => idx[split].filter((c) => c.label === label).length;
    // test: 4 keyword clips (yes, no × s0, s1) → ceil(4 * 50%) = 2 silence, ceil(4 * 25%) = 1 unknown.
    assert.deepEqual([count('test', 'yes'), count('test', 'no'), count('test', '_silence_'), count('test', '_unknown_')], [2, 2, 2, 1]);
    assert.ok(idx.test.every((c) => c.path === null || /_s[01]_|\/s[01]_nohash/.test(c.path)));
    // validation: exactly its list's keyword clips (cat/s2 is an unknown candidate).
    assert.deepEqual([count('validation', 'yes'), count('validation', 'no'), count('validation', '_unknown_')], [1, 1, 1]);
    // train: 17 speakers × 2 words; unknowns drawn from 34 cat/dog clips: ceil(34 / 4) = 9.
    assert.deepEqual([count('train', 'yes'), count('train', '_silence_'), count('train', '_unknown_')], [17, 17, 9]);
    assert.ok(idx.train.filter((c) => c.label === '_unknown_').every((c) => /\/(cat|dog)\//.test(c.path as string)));
    assert.deepEqual(idx.noise, [join(root, '_background_noise_', 'white.wav')]);
    // The same seed picks the same unknowns in the same order; another seed differs.
    const again = indexFolder(root, { ...OPTS, words: ['yes', 'no'], silencePercent: 50, unknownPercent: 25 });
    assert.deepEqual(again.train, idx.train);
    const other = indexFolder(root, { ...OPTS, words: ['yes', 'no'], silencePercent: 50, unknownPercent: 25, seed: 1 });
    assert.notDeepEqual(other.train, idx.train);
  });

  test('bad folders: missing, empty, a label folder without clips, an unknown keyword, a stale list', () => {
    fails(() => indexFolder(join(t.dir, 'nope'), OPTS), 'DATA_NOT_FOUND', 'nope');
    const empty = join(t.dir, 'empty');
    mkdirSync(join(empty, '_background_noise_'), { recursive: true });
    fails(() => indexFolder(empty, OPTS), 'DATA_AUDIO_EMPTY', 'no label folders');
    const hollow = layout('hollow', ['yes'], ['a']);
    mkdirSync(join(hollow, 'no'));
    writeFileSync(join(hollow, 'no', 'README.txt'), 'not a clip');
    fails(() => indexFolder(hollow, OPTS), 'DATA_AUDIO_NO_CLIPS', join(hollow, 'no'));
    const ok = layout('ok', ['yes'], ['a']);
    fails(() => indexFolder(ok, { ...OPTS, words: ['yes', 'maybe'] }), 'DATA_AUDIO_WORD', "'maybe'");
    writeFileSync(join(ok, 'testing_list.txt'), 'yes/a_nohash_0.wav\nyes/gone_nohash_0.wav\n');
    fails(() => indexFolder(ok, OPTS), 'DATA_AUDIO_LIST', 'line 2', 'yes/gone_nohash_0.wav');
  });
});
