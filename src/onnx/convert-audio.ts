import { dctMatrix, hann, hzToMel, melToHz } from '../features/index.ts';
import type { FrontEnd } from '../features/index.ts';
import { frontEndOfConfig } from '../models/audio-layers.ts';
import { attr, type GraphBuilder } from './ir.ts';
import { layerConverters } from './layer-converters.ts';

// ONNX (opset 17) for the audio front-end layer (models/audio-layers.ts): raw audio [N, samples]
// → frames by Reshape and Slice → DFT as one MatMul → power → mel MatMul → Log (→ DCT MatMul)
// → [N, 1, frames, bins] (NCHW, one channel) for the image blocks after it.
//
// The constant matrices are not stored whole: the DFT basis [window, 2·bins] and the mel
// filterbank [bins, melBins] are ~1 MB of float32, sixteen times a keyword-spotting student's
// int8 weights. The graph builds them from a few kilobytes instead (a cos/sin table of fftSize
// values gathered at (k·n mod fftSize), the window, and the filters' corner frequencies), a
// constant subgraph that onnxruntime folds once when the session opens. Only the small DCT
// matrix is stored. None of this is quantised by an int8 export: the front-end stays float32.

/**
 * Frames [N, frames, windowLength] of x [N, samples] without a [frames, windowLength] index:
 * the signal cut (or zero-padded) to whole hops, reshaped to rows of one hop, and each frame
 * the concatenation of `ceil(window / hop)` consecutive rows (the last one cut short).
 */
function frames(g: GraphBuilder, x: string, fe: FrontEnd, samples: number, count: number, p: string): string {
  const H = fe.hopLength;
  const W = fe.windowLength;
  const c = Math.ceil(W / H);
  const rows = count - 1 + c;
  const len = rows * H;
  let cut: string;
  if (len <= samples) {
    cut = g.node('Slice', [x, g.int64s(`${p}_cut_start`, [0]), g.int64s(`${p}_cut_end`, [len]), g.int64s(`${p}_cut_axis`, [1])], {}, `${p}_cut`);
  } else {
    cut = g.node('Pad', [x, g.int64s(`${p}_pads`, [0, 0, 0, len - samples])], { mode: attr.s('constant') }, `${p}_cut`);
  }
  const grid = g.node('Reshape', [cut, g.int64s(`${p}_rows_shape`, [-1, rows, H])], {}, `${p}_rows`);
  const parts: string[] = [];
  for (let j = 0; j < c; j++) {
    const width = Math.min(H, W - j * H);
    parts.push(g.node('Slice', [grid, g.int64s(`${p}_s${j}_start`, [j, 0]), g.int64s(`${p}_s${j}_end`, [j + count, width]), g.int64s(`${p}_s${j}_axes`, [1, 2])], {}, `${p}_part${j}`));
  }
  return parts.length === 1 ? parts[0]! : g.node('Concat', parts, { axis: attr.i(2) }, `${p}_frames`);
}

/**
 * The DFT basis [W, 2·bins] (window · cos | window · −sin) built in the graph: the angle of
 * tap n and bin k is 2π·((k·n) mod N)/N, so cos and sin take only N values, stored as two
 * tables and gathered by the index (k·n) mod N (the same reduction frontEndMatrices makes).
 */
function dftBasis(g: GraphBuilder, fe: FrontEnd, bins: number, p: string): string {
  const N = fe.fftSize;
  const W = fe.windowLength;
  const cos = Float32Array.from({ length: N }, (_, m) => Math.cos((2 * Math.PI * m) / N));
  const sin = Float32Array.from({ length: N }, (_, m) => -Math.sin((2 * Math.PI * m) / N));
  const table = g.floats(`${p}_trig`, [2, N], [...cos, ...sin]);
  const range = (name: string, n: number): string =>
    g.node('Range', [g.init(`${name}_0`, 'int64', [], BigInt64Array.of(0n)), g.init(`${name}_n`, 'int64', [], BigInt64Array.of(BigInt(n))), g.init(`${name}_1`, 'int64', [], BigInt64Array.of(1n))], {}, name);
  const n = g.node('Unsqueeze', [range(`${p}_taps`, W), g.int64s(`${p}_ax1`, [1])], {}, `${p}_taps_col`); // [W, 1]
  const k = range(`${p}_bins`, bins); // [bins]
  const idx = g.node('Mod', [g.node('Mul', [n, k], {}, `${p}_kn`), g.init(`${p}_N`, 'int64', [], BigInt64Array.of(BigInt(N)))], {}, `${p}_kn_mod`); // [W, bins]
  const trig = g.node('Gather', [table, idx], { axis: attr.i(1) }, `${p}_trig_wk`); // [2, W, bins]
  const win = g.floats(`${p}_window`, [1, W, 1], hann(W));
  const windowed = g.node('Mul', [trig, win], {}, `${p}_windowed`); // [2, W, bins]
  const wk = g.node('Transpose', [windowed], { perm: attr.ints([1, 0, 2]) }, `${p}_wk`); // [W, 2, bins]
  return g.node('Reshape', [wk, g.int64s(`${p}_dft_shape`, [W, 2 * bins])], {}, `${p}_dft`);
}

/**
 * The mel filterbank [bins, melBins] built in the graph from each filter's three corner
 * frequencies, as librosa's `filters.mel` (and melFilterbank in src/features) computes it:
 * max(0, min((f − left)/(centre − left), (right − f)/(right − centre))) · scale.
 */
function melBasis(g: GraphBuilder, fe: FrontEnd, bins: number, p: string): string {
  const lo = hzToMel(fe.fmin, fe.melScale);
  const hi = hzToMel(fe.fmax, fe.melScale);
  const pts = Array.from({ length: fe.melBins + 2 }, (_, i) => melToHz(lo + ((hi - lo) * i) / (fe.melBins + 1), fe.melScale));
  const M = fe.melBins;
  const left = g.floats(`${p}_left`, [1, M], pts.slice(0, M));
  const right = g.floats(`${p}_right`, [1, M], pts.slice(2, M + 2));
  const upW = g.floats(`${p}_up_width`, [1, M], pts.slice(0, M).map((l, m) => pts[m + 1]! - l));
  const downW = g.floats(`${p}_down_width`, [1, M], pts.slice(2, M + 2).map((r, m) => r - pts[m + 1]!));
  const scale = g.floats(`${p}_scale`, [1, M], pts.slice(0, M).map((l, m) => (fe.melNorm === 'slaney' ? 2 / (pts[m + 2]! - l) : 1)));
  const freqs = g.floats(`${p}_freqs`, [bins, 1], Array.from({ length: bins }, (_, k) => (k * fe.sampleRate) / fe.fftSize));
  const up = g.node('Div', [g.node('Sub', [freqs, left], {}, `${p}_fl`), upW], {}, `${p}_up`);
  const down = g.node('Div', [g.node('Sub', [right, freqs], {}, `${p}_rf`), downW], {}, `${p}_down`);
  const tri = g.node('Max', [g.node('Min', [up, down], {}, `${p}_tri_min`), g.floats(`${p}_zero`, [], [0])], {}, `${p}_tri`);
  return g.node('Mul', [tri, scale], {}, `${p}_mel`);
}

layerConverters.register('DistilleryFrontEnd', (ctx, layer, [x], outShape) => {
  if (x!.shape.length !== 1) throw ctx.unsupported(layer, `expects raw audio [batch, samples], gets [batch, ${x!.shape.join(', ')}]`);
  const g = ctx.g;
  const p = layer.name;
  const fe = frontEndOfConfig(layer.getConfig());
  const samples = x!.shape[0]!;
  const count = outShape[0]!;
  const bins = fe.fftSize / 2 + 1;
  const framed = frames(g, ctx.plain(x!), fe, samples, count, p); // [N, F, W]
  const spec = g.node('MatMul', [framed, dftBasis(g, fe, bins, p)], {}, `${p}_spectrum`); // [N, F, 2·bins]
  const parts = g.node('Reshape', [spec, g.int64s(`${p}_reim_shape`, [0, count, 2, bins])], {}, `${p}_reim`);
  // |X|² = re² + im²: a ReduceSum over the re/im axis
  const power = g.node('ReduceSum', [g.node('Mul', [parts, parts], {}, `${p}_sq`), g.int64s(`${p}_reim_axis`, [2])], { keepdims: attr.i(0) }, `${p}_power`);
  const mel = g.node('MatMul', [power, melBasis(g, fe, bins, p)], {}, `${p}_melspec`);
  let y = g.node('Log', [g.node('Add', [mel, g.floats(`${p}_offset`, [], [fe.logOffset])], {}, `${p}_offset_add`)], {}, `${p}_logmel`);
  if (fe.mfcc !== undefined) {
    y = g.node('MatMul', [y, g.floats(`${p}_dct`, [fe.melBins, fe.mfcc], dctMatrix(fe.melBins, fe.mfcc))], {}, `${p}_mfcc`);
  }
  // [N, F, B] → NCHW [N, 1, F, B]: one channel
  return { name: g.node('Unsqueeze', [y, g.int64s(`${p}_ch_axis`, [1])], {}, p), shape: outShape };
});
