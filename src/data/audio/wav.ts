import wavefile from 'wavefile';
import { DistilleryError } from '../../core/errors.ts';
import { readAllBytes, truncated } from '../files.ts';

const { WaveFile } = wavefile;

/** A decoded WAV file: one Float32Array per channel, values in [-1, 1) for PCM. */
export interface DecodedWav {
  readonly sampleRate: number;
  readonly channels: readonly Float32Array[];
  /** What the file held, for messages and docs: "pcm16", "float32", "alaw", ... */
  readonly encoding: string;
}

// WAVE format tags (RFC 2361); WAVE_FORMAT_EXTENSIBLE carries the real tag in its subformat.
const PCM = 1;
const FLOAT = 3;
const ALAW = 6;
const MULAW = 7;
const EXTENSIBLE = 0xfffe;
const TAG_NAMES: Record<number, string> = { 2: 'MS ADPCM', 17: 'IMA ADPCM', 0x31: 'GSM 6.10', 0x50: 'MPEG', 0x55: 'MP3' };

/**
 * Decode the bytes of a WAV file (RIFF, RIFX or RF64; PCM 8/16/24/32-bit, IEEE float 32/64,
 * A-law, mu-law, plain or WAVE_FORMAT_EXTENSIBLE). Integer PCM is scaled by 2^(bits-1) (8-bit
 * is unsigned, centred on 128), the convention of TensorFlow's `decode_wav` and libsndfile,
 * so 16-bit -32768 is exactly -1. `path` names the file in errors.
 *
 * Errors: DATA_NOT_WAV (no RIFF/WAVE header), DATA_WAV_CORRUPT (a header the parser rejects),
 * DATA_TRUNCATED (the data chunk is shorter than it says), DATA_WAV_ENCODING (compressed or
 * odd encodings).
 *
 * @example
 * const wav = decodeWav(readFileSync('yes/0a7c2a8d_nohash_0.wav'), 'yes/0a7c2a8d_nohash_0.wav');
 * // wav.sampleRate 16000, wav.channels[0].length 16000
 */
export function decodeWav(bytes: Uint8Array, path: string): DecodedWav {
  const riff = ascii(bytes, 0, 4);
  if (!(riff === 'RIFF' || riff === 'RIFX' || riff === 'RF64') || (bytes.length >= 12 && ascii(bytes, 8, 4) !== 'WAVE')) {
    throw new DistilleryError('DATA_NOT_WAV', `${path}: not a WAV file (it starts with ${JSON.stringify(ascii(bytes, 0, 4))}, not RIFF…WAVE)`, 'convert it to WAV first, e.g. `sox in.mp3 -r 16000 -c 1 out.wav`', path);
  }
  if (bytes.length < 12) throw truncated(path, `${bytes.length} bytes, shorter than a WAV header`);
  const wav = new WaveFile();
  try {
    wav.fromBuffer(bytes);
  } catch (e) {
    throw new DistilleryError('DATA_WAV_CORRUPT', `${path}: corrupt WAV (${(e as Error).message})`, 'the file is damaged or cut short: export or download it again', path);
  }
  const fmt = wav.fmt as { audioFormat: number; numChannels: number; sampleRate: number; bitsPerSample: number; blockAlign: number; subformat: number[] };
  const data = wav.data as { chunkSize: number; samples: Uint8Array };
  if (data.samples.length < data.chunkSize) {
    throw truncated(path, `the data chunk says ${data.chunkSize} bytes, the file holds ${data.samples.length}`);
  }
  const tag = fmt.audioFormat === EXTENSIBLE ? (fmt.subformat[0] ?? 0) : fmt.audioFormat;
  const bits = fmt.bitsPerSample;
  const nch = fmt.numChannels;
  if (nch < 1 || fmt.sampleRate <= 0) {
    throw new DistilleryError('DATA_WAV_CORRUPT', `${path}: corrupt WAV header (${nch} channels at ${fmt.sampleRate} Hz)`, 'the file is damaged: export it again', path);
  }
  const be = wav.container === 'RIFX';
  let flat: Float32Array;
  let encoding: string;
  if (tag === PCM && (bits === 8 || bits === 16 || bits === 24 || bits === 32)) {
    flat = decodePcm(data.samples, bits, be);
    encoding = `pcm${bits}`;
  } else if (tag === FLOAT && (bits === 32 || bits === 64)) {
    flat = decodeFloat(data.samples, bits, be);
    encoding = `float${bits}`;
  } else if ((tag === ALAW || tag === MULAW) && bits === 8) {
    // wavefile's G.711 decoders expand to 16-bit PCM; scale that like any 16-bit file.
    if (tag === ALAW) wav.fromALaw('16');
    else wav.fromMuLaw('16');
    flat = decodePcm((wav.data as { samples: Uint8Array }).samples, 16, be);
    encoding = tag === ALAW ? 'alaw' : 'mulaw';
  } else {
    const name = TAG_NAMES[tag] ?? (tag === PCM ? `${bits}-bit PCM` : tag === FLOAT ? `${bits}-bit float` : `format tag ${tag}`);
    throw new DistilleryError(
      'DATA_WAV_ENCODING',
      `${path}: unsupported WAV encoding ${name}`,
      'use PCM 8/16/24/32-bit, float 32/64, A-law or mu-law, e.g. `sox in.wav -e signed -b 16 out.wav`',
      path,
    );
  }
  // A trailing partial frame (odd writers) is dropped rather than read past.
  const frames = Math.floor(flat.length / nch);
  const channels: Float32Array[] = [];
  for (let c = 0; c < nch; c++) {
    const ch = new Float32Array(frames);
    for (let i = 0; i < frames; i++) ch[i] = flat[i * nch + c];
    channels.push(ch);
  }
  return { sampleRate: fmt.sampleRate, channels, encoding };
}

/**
 * Read and decode a WAV file ({@link decodeWav}); DATA_NOT_FOUND / DATA_EMPTY for a missing
 * or empty file.
 *
 * @example
 * const wav = readWav('clip.wav');
 */
export function readWav(path: string): DecodedWav {
  return decodeWav(readAllBytes(path), path);
}

/**
 * The bytes of a mono 16-bit PCM WAV file holding `samples` (values in [-1, 1], clipped;
 * rounded to the nearest of 2^16 levels, so {@link decodeWav} gives them back within 2^-16).
 *
 * @example
 * writeFileSync('long.wav', encodeWav(recording, 16000));
 */
export function encodeWav(samples: Float32Array, sampleRate: number): Uint8Array {
  const pcm = new Int16Array(samples.length);
  for (let i = 0; i < samples.length; i++) pcm[i] = Math.max(-32768, Math.min(32767, Math.round(samples[i] * 32768)));
  const w = new WaveFile();
  w.fromScratch(1, sampleRate, '16', pcm);
  return w.toBuffer();
}

/**
 * The mean of the channels (a mono mixdown), as TensorFlow's `decode_wav(desired_channels=1)`
 * and librosa's `to_mono` do.
 *
 * @example
 * const mono = mixdown(readWav('stereo.wav').channels);
 */
export function mixdown(channels: readonly Float32Array[]): Float32Array {
  if (channels.length === 1) return channels[0];
  const n = channels[0].length;
  const out = new Float32Array(n);
  for (const ch of channels) for (let i = 0; i < n; i++) out[i] += ch[i];
  const k = 1 / channels.length;
  for (let i = 0; i < n; i++) out[i] *= k;
  return out;
}

/**
 * Resample mono audio from one rate to another with wavefile's windowed-sinc interpolator and
 * its low-pass filter (anti-aliasing when going down). Costs about 0.1 s of CPU per second of
 * audio: resample big collections once, offline (`sox`), and keep this for odd files.
 *
 * @example
 * const at16k = resample(samples44k, 44100, 16000);
 */
export function resample(samples: Float32Array, from: number, to: number): Float32Array {
  if (from === to) return samples;
  const w = new WaveFile();
  w.fromScratch(1, from, '64', Float64Array.from(samples));
  w.toSampleRate(to, { method: 'sinc' });
  return Float32Array.from(w.getSamples(false, Float64Array) as Float64Array);
}

/**
 * Zero-pad at the end or keep the first `length` samples, as `decode_wav(desired_samples=…)`
 * does in TensorFlow's Speech Commands pipeline.
 *
 * @example
 * const clip = fitLength(mono, 16000);
 */
export function fitLength(samples: Float32Array, length: number): Float32Array {
  if (samples.length === length) return samples;
  const out = new Float32Array(length);
  out.set(samples.length > length ? samples.subarray(0, length) : samples);
  return out;
}

function decodePcm(b: Uint8Array, bits: number, be: boolean): Float32Array {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const bytes = bits / 8;
  const n = Math.floor(b.length / bytes);
  const out = new Float32Array(n);
  const le = !be;
  if (bits === 8) for (let i = 0; i < n; i++) out[i] = (b[i] - 128) / 128;
  else if (bits === 16) for (let i = 0; i < n; i++) out[i] = dv.getInt16(2 * i, le) / 32768;
  else if (bits === 32) for (let i = 0; i < n; i++) out[i] = dv.getInt32(4 * i, le) / 2147483648;
  else {
    for (let i = 0; i < n; i++) {
      const o = 3 * i;
      const v = be ? (b[o] << 16) | (b[o + 1] << 8) | b[o + 2] : b[o] | (b[o + 1] << 8) | (b[o + 2] << 16);
      // Sign-extend the 24-bit value through the top byte.
      out[i] = ((v << 8) >> 8) / 8388608;
    }
  }
  return out;
}

function decodeFloat(b: Uint8Array, bits: number, be: boolean): Float32Array {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const n = Math.floor(b.length / (bits / 8));
  const out = new Float32Array(n);
  if (bits === 32) for (let i = 0; i < n; i++) out[i] = dv.getFloat32(4 * i, !be);
  else for (let i = 0; i < n; i++) out[i] = dv.getFloat64(8 * i, !be);
  return out;
}

function ascii(b: Uint8Array, at: number, n: number): string {
  let s = '';
  for (let i = at; i < Math.min(at + n, b.length); i++) s += b[i] >= 32 && b[i] < 127 ? String.fromCharCode(b[i]) : '.';
  return s;
}
