import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { fails, tempFiles } from '../fixtures.test-util.ts';
import { quantize, sine, wavBytes } from './fixtures.test-util.ts';
import { decodeWav, fitLength, mixdown, readWav, resample } from './wav.ts';

const t = tempFiles();
after(() => t.done());


// Values that hit the extremes of every integer format, and one each side of zero.
const VALUES = [0, 0.5, -0.5, -1, 0.999, 1e-3, -1e-3, 0.25];

describe('decodeWav', () => {
  for (const [enc, bits] of [['pcm8', 8], ['pcm16', 16], ['pcm24', 24], ['pcm32', 32]] as const) {
    test(`${enc}: integers scaled by 2^(bits-1), exactly`, () => {
      const wav = decodeWav(wavBytes({ rate: 16000, channels: [VALUES], encoding: enc }), 'x.wav');
      assert.equal(wav.sampleRate, 16000);
      assert.equal(wav.encoding, enc);
      // The stored integer over 2^(bits-1): -1 must come back as exactly -1 (not -32768/32767).
      const want = VALUES.map((v) => Math.fround(quantize(v, bits) / 2 ** (bits - 1)) + 0);
      assert.deepEqual(Array.from(wav.channels[0]), want);
      assert.equal(wav.channels[0][3], -1);
    });
  }

  test('float32 comes back bit for bit, also as WAVE_FORMAT_EXTENSIBLE', () => {
    const v = Float32Array.from([0.1, -0.7, 0.33333, 1.5]);
    for (const extensible of [false, true]) {
      const wav = decodeWav(wavBytes({ rate: 8000, channels: [v], encoding: 'float32', extensible }), 'f.wav');
      assert.deepEqual(Array.from(wav.channels[0]), Array.from(v));
      assert.equal(wav.encoding, 'float32');
    }
  });

  test('stereo 24-bit extensible: channels de-interleaved in order', () => {
    const l = [0.5, 0.25, -0.25];
    const r = [-0.5, 0, 0.125];
    const wav = decodeWav(wavBytes({ rate: 44100, channels: [l, r], encoding: 'pcm24', extensible: true }), 's.wav');
    assert.deepEqual(Array.from(wav.channels[0]), l);
    assert.deepEqual(Array.from(wav.channels[1]), r);
    assert.deepEqual(Array.from(mixdown(wav.channels)), [0, 0.125, -0.0625]);
  });

  test('bad input: non-WAV, truncated, corrupt, unsupported encoding, missing, empty', () => {
    fails(() => decodeWav(new TextEncoder().encode('ID3\u0004 this is an mp3, honest'), 'song.mp3'), 'DATA_NOT_WAV', 'song.mp3', 'not a WAV file');
    const good = wavBytes({ rate: 16000, channels: [sine(1000, 440, 16000)] });
    fails(() => decodeWav(good.subarray(0, good.length - 100), 'cut.wav'), 'DATA_TRUNCATED', 'cut.wav', 'data chunk says 2000 bytes');
    fails(() => decodeWav(good.subarray(0, 8), 'head.wav'), 'DATA_TRUNCATED', 'head.wav');
    // RIFF/WAVE but no fmt/data chunk: the parser's complaint is kept in the message.
    const broken = Buffer.from(good.subarray(0, 60));
    broken.write('junk', 12, 'ascii');
    broken.write('junk', 36, 'ascii');
    fails(() => decodeWav(broken, 'broken.wav'), 'DATA_WAV_CORRUPT', 'broken.wav', 'corrupt WAV');
    fails(() => decodeWav(wavBytes({ rate: 16000, channels: [[0, 0]], tag: 2 }), 'adpcm.wav'), 'DATA_WAV_ENCODING', 'adpcm.wav', 'MS ADPCM');
    fails(() => decodeWav(wavBytes({ rate: 16000, channels: [[0, 0]], tag: 0x55 }), 'mp3.wav'), 'DATA_WAV_ENCODING', 'MP3');
    fails(() => readWav(`${t.dir}/absent.wav`), 'DATA_NOT_FOUND', 'absent.wav');
    fails(() => readWav(t.put('empty.wav', '')), 'DATA_EMPTY', 'empty.wav');
  });
});

describe('resample and fitLength', () => {
  test('a 440 Hz tone at 44.1 kHz is a 440 Hz tone at 16 kHz', () => {
    const x = sine(44100, 440, 44100, 0.5);
    const y = resample(x, 44100, 16000);
    assert.equal(y.length, 16000);
    // Away from the edges (the filters' start-up), the signal is a 440 Hz tone of amplitude 0.5:
    // its projection on 440 Hz keeps the amplitude and the residue is small. (wavefile maps
    // sample i to i * (44099 / 15999), a 4e-5 frequency error: the phase drifts by ~0.1 rad.)
    let a = 0;
    let b = 0;
    let total = 0;
    const n = 14000;
    for (let i = 1000; i < 1000 + n; i++) {
      const w = (2 * Math.PI * 440 * i) / 16000;
      a += y[i] * Math.sin(w);
      b += y[i] * Math.cos(w);
      total += y[i] * y[i];
    }
    const amp = (2 / n) * Math.hypot(a, b);
    assert.ok(Math.abs(amp - 0.5) < 0.002, `amplitude at 440 Hz ${amp}`);
    const residue = total / n - (amp * amp) / 2;
    assert.ok(residue < 1e-4, `power off 440 Hz ${residue}`);
  });

  test('a tone above the new Nyquist is filtered out, not folded back', () => {
    const y = resample(sine(44100, 10000, 44100, 0.5), 44100, 16000);
    let rms = 0;
    for (let i = 1000; i < 15000; i++) rms += y[i] * y[i];
    rms = Math.sqrt(rms / 14000);
    // Unfiltered, the 10 kHz tone would alias to a 6 kHz tone of rms 0.35.
    assert.ok(rms < 0.05, `rms after resampling ${rms}`);
  });

  test('fitLength pads zeros at the end and keeps the start', () => {
    assert.deepEqual(Array.from(fitLength(Float32Array.from([1, 2]), 4)), [1, 2, 0, 0]);
    assert.deepEqual(Array.from(fitLength(Float32Array.from([1, 2, 3, 4, 5]), 3)), [1, 2, 3]);
  });
});
