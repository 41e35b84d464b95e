import type { FrontEnd } from './spec.ts';

/**
 * The constant matrices of the front-end, in one place so that the TF.js computation, a TF.js
 * layer and an ONNX graph all use the same numbers. Row-major Float32Array, computed in
 * float64 and rounded once.
 */
export interface FrontEndMatrices {
  /** [frames, windowLength] int32: the sample index of each frame's taps (a Gather). */
  readonly frameIndex: Int32Array;
  /** [windowLength, bins]: Hann window times cos(2πkn/N) (the real part of the DFT). */
  readonly dftReal: Float32Array;
  /** [windowLength, bins]: Hann window times -sin(2πkn/N) (the imaginary part). */
  readonly dftImag: Float32Array;
  /** [bins, melBins]: the triangular filters, transposed so that power @ mel works. */
  readonly mel: Float32Array;
  /** [melBins, mfcc]: the orthonormal DCT-II, transposed; absent for log-mel. */
  readonly dct?: Float32Array;
  readonly frames: number;
  /** fftSize / 2 + 1. */
  readonly bins: number;
}

/**
 * Periodic Hann window of length n: 0.5 - 0.5 cos(2πi/n) (scipy's `hann(n, sym=False)`,
 * librosa's and TensorFlow's default for spectra).
 *
 * @example
 * hann(4); // [0, 0.5, 1, 0.5]
 */
export function hann(n: number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n));
}

/**
 * Hz to mel. slaney: linear (3 per 200 Hz) below 1 kHz, logarithmic above (librosa's
 * `hz_to_mel(htk=False)`); htk: 2595 log10(1 + f / 700).
 *
 * @example
 * hzToMel(1000, 'slaney'); // 15
 */
export function hzToMel(f: number, scale: 'slaney' | 'htk'): number {
  if (scale === 'htk') return 2595 * Math.log10(1 + f / 700);
  const linear = f / (200 / 3);
  return f >= 1000 ? 15 + Math.log(f / 1000) / (Math.log(6.4) / 27) : linear;
}

/**
 * Mel to Hz, the inverse of {@link hzToMel}.
 *
 * @example
 * melToHz(15, 'slaney'); // 1000
 */
export function melToHz(m: number, scale: 'slaney' | 'htk'): number {
  if (scale === 'htk') return 700 * (10 ** (m / 2595) - 1);
  return m >= 15 ? 1000 * Math.exp((Math.log(6.4) / 27) * (m - 15)) : (200 / 3) * m;
}

/**
 * The mel filterbank [melBins, bins] as librosa's `filters.mel` builds it: melBins + 2 points
 * evenly spaced in mel between fmin and fmax, a triangle per filter over the FFT bin
 * frequencies linspace(0, sr/2, bins), and with slaney norm each triangle scaled by
 * 2 / (its width in Hz) so that it has unit area.
 *
 * @example
 * const w = melFilterbank(resolveFrontEnd()); // 40 × 257
 */
export function melFilterbank(fe: FrontEnd): Float64Array[] {
  const bins = fe.fftSize / 2 + 1;
  const lo = hzToMel(fe.fmin, fe.melScale);
  const hi = hzToMel(fe.fmax, fe.melScale);
  const pts = Array.from({ length: fe.melBins + 2 }, (_, i) => melToHz(lo + ((hi - lo) * i) / (fe.melBins + 1), fe.melScale));
  const freqs = Array.from({ length: bins }, (_, k) => (k * fe.sampleRate) / fe.fftSize);
  const out: Float64Array[] = [];
  for (let m = 0; m < fe.melBins; m++) {
    const [left, centre, right] = [pts[m], pts[m + 1], pts[m + 2]];
    const row = new Float64Array(bins);
    const scale = fe.melNorm === 'slaney' ? 2 / (right - left) : 1;
    for (let k = 0; k < bins; k++) {
      const up = (freqs[k] - left) / (centre - left);
      const down = (right - freqs[k]) / (right - centre);
      row[k] = Math.max(0, Math.min(up, down)) * scale;
    }
    out.push(row);
  }
  return out;
}

/**
 * Every matrix of the front-end for clips of `samples` samples (see {@link FrontEndMatrices}).
 *
 * @example
 * const m = frontEndMatrices(resolveFrontEnd({ mfcc: 10 }), 16000);
 */
export function frontEndMatrices(fe: FrontEnd, samples: number): FrontEndMatrices {
  const W = fe.windowLength;
  const N = fe.fftSize;
  const bins = N / 2 + 1;
  const frames = samples < W ? 0 : 1 + Math.floor((samples - W) / fe.hopLength);
  const frameIndex = new Int32Array(frames * W);
  for (let f = 0; f < frames; f++) for (let i = 0; i < W; i++) frameIndex[f * W + i] = f * fe.hopLength + i;
  const win = hann(W);
  const dftReal = new Float32Array(W * bins);
  const dftImag = new Float32Array(W * bins);
  for (let n = 0; n < W; n++) {
    for (let k = 0; k < bins; k++) {
      // (k * n) mod N keeps the angle small, so cos/sin stay accurate for large k * n.
      const a = (2 * Math.PI * ((k * n) % N)) / N;
      dftReal[n * bins + k] = win[n] * Math.cos(a);
      dftImag[n * bins + k] = -win[n] * Math.sin(a);
    }
  }
  const fb = melFilterbank(fe);
  const mel = new Float32Array(bins * fe.melBins);
  for (let m = 0; m < fe.melBins; m++) for (let k = 0; k < bins; k++) mel[k * fe.melBins + m] = fb[m][k];
  const out = { frameIndex, dftReal, dftImag, mel, frames, bins };
  return fe.mfcc !== undefined ? { ...out, dct: dctMatrix(fe.melBins, fe.mfcc) } : out;
}

/**
 * The orthonormal DCT-II as an [n, keep] matrix (x @ D gives the first `keep` coefficients):
 * D[i][k] = s_k cos(πk(2i+1) / 2n), s_0 = sqrt(1/n), s_k = sqrt(2/n) (scipy's
 * `dct(type=2, norm='ortho')`, which librosa's MFCC uses).
 *
 * @example
 * dctMatrix(40, 10); // Float32Array of 400
 */
export function dctMatrix(n: number, keep: number): Float32Array {
  const d = new Float32Array(n * keep);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < keep; k++) d[i * keep + k] = (k === 0 ? Math.sqrt(1 / n) : Math.sqrt(2 / n)) * Math.cos((Math.PI * k * (2 * i + 1)) / (2 * n));
  }
  return d;
}
