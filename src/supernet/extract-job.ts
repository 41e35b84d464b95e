import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { DistilleryError } from '../core/errors.ts';
import { silentReporter, type Reporter } from '../core/events.ts';
import { exportOnnxFolder, type ExportFolderResult } from '../deploy/index.ts';
import { initEngine, type BackendName } from '../engine/index.ts';
import { saveSubnetModel } from './save.ts';
import { openStore } from '../store/index.ts';
import { loadSupernetData } from './data.ts';
import { extractSubnet } from './extract.ts';
import { finetuneSubnet, type FinetuneResult } from './finetune.ts';
import { loadSupernet, readManifest } from './folder.ts';
import { recalibrate, subnetLogits } from './score.ts';
import { lastSearch } from './search.ts';
import { archFromCandidate, archName, subnetSpec, type SubnetArch } from './space.ts';

/** Largest |extracted − supernet| logit difference `supernet extract` accepts. */
export const EXTRACT_TOLERANCE = 1e-5;

/** Options of {@link extractFromSupernet}. */
export interface ExtractOptions {
  supernet: string;
  /** The trial number in the study (as `search show` lists it). */
  trial?: number;
  /** Or the subnet itself. */
  arch?: SubnetArch;
  /** Model folder to write (model.json, weights.bin, labels.json; model.onnx with `onnx`). */
  out: string;
  /** Default: the store and study of the last `supernet search` over this folder. */
  store?: string;
  study?: string;
  /** Export to ONNX too, with the exporter's parity check. */
  onnx?: boolean;
  /**
   * Fine-tune the extracted subnet for `epochs` by distillation from the largest subnet (see
   * {@link finetuneSubnet}), checkpointed in `<out>/checkpoint`; `resume` continues from it.
   */
  finetune?: { epochs: number; lr?: number; resume?: boolean };
  reporter?: Reporter;
}

/** What {@link extractFromSupernet} wrote and checked. */
export interface ExtractResult {
  out: string;
  subnet: SubnetArch;
  name: string;
  /** Largest |extracted − supernet| over the validation logits. */
  maxAbsDiff: number;
  /** Validation accuracy of the extracted model (before any fine-tuning). */
  accuracy: number;
  params: number;
  /** With `finetune`: accuracy before and after (the model written is the fine-tuned one). */
  finetune?: FinetuneResult;
  onnx?: ExportFolderResult;
}

async function trialArch(opts: ExtractOptions, dir: string): Promise<{ params: Record<string, unknown>; from: string }> {
  const last = lastSearch(dir);
  const storePath = opts.store ?? last?.store;
  if (!storePath) throw new DistilleryError('SUPERNET_NO_STORE', `${dir}: no search over this supernet is recorded`, 'pass --store DB (the store of `supernet search`), or run `supernet search` first', '--store');
  if (!existsSync(storePath)) throw new DistilleryError('STORE_NOT_FOUND', `${storePath}: no such study store`, 'pass the --store of `supernet search`', '--store');
  const store = await openStore(storePath, { readonly: true });
  try {
    const study = await store.getStudy(opts.study ?? (opts.store ? undefined : last?.study));
    if (!study) throw new DistilleryError('STORE_NO_STUDY', `${storePath}: no such study`, 'pass --study NAME as `search show` lists it', '--study');
    const t = (await store.listTrials(study.id)).find((r) => r.number === opts.trial);
    if (!t) throw new DistilleryError('SUPERNET_NO_TRIAL', `${storePath}: study '${study.name}' has no trial ${opts.trial}`, 'pick a trial number from `distillery search show --store …`', '--trial');
    if (t.state !== 'complete') throw new DistilleryError('SUPERNET_NO_TRIAL', `${storePath}: trial ${opts.trial} of '${study.name}' is ${t.state}, not complete`, 'pick a complete trial (the front lists them)', '--trial');
    return { params: t.params, from: `trial ${t.number} of study '${study.name}' in ${storePath}` };
  } finally {
    await store.close();
  }
}

/**
 * `distillery supernet extract`: one subnet (a search trial, or given directly) as a plain
 * student model folder: recalibrated as the search scored it, copied into a model built from
 * its spec ({@link extractSubnet}), checked to give the supernet's logits on the validation
 * split within {@link EXTRACT_TOLERANCE} (`SUPERNET_PARITY` otherwise, nothing written), saved
 * with the usual metadata so `distillery export` and `predict` take it, and with `onnx` exported
 * through the ONNX exporter with its parity check. With `finetune`, the model is fine-tuned
 * after the parity check and before it is saved: it then no longer computes what the subnet does
 * inside the supernet (it is meant to do better), so the parity reported is the extraction's.
 *
 * @example
 * const r = await extractFromSupernet({ supernet: 'runs/supernet', trial: 17, out: 'runs/picked', onnx: true });
 */
export async function extractFromSupernet(opts: ExtractOptions): Promise<ExtractResult> {
  const report = opts.reporter ?? silentReporter;
  const dir = resolve(opts.supernet);
  await initEngine({ backend: readManifest(dir).config.backend as BackendName });
  const { manifest, net } = loadSupernet(dir);
  const sc = manifest.config;
  try {
    let arch = opts.arch;
    let from = 'the subnet given';
    if (!arch) {
      if (opts.trial === undefined) throw new DistilleryError('CLI_OPTION_REQUIRED', 'extract needs the subnet: --trial N', 'pass --trial N from `search show`', '--trial');
      const t = await trialArch(opts, dir);
      arch = archFromCandidate(sc.supernet, t.params as never);
      from = t.from;
    }
    subnetSpec(sc.supernet, arch); // SUPERNET_ARCH on a bad subnet, before any data is read
    const data = await loadSupernetData(sc, manifest.baseDir);
    const stats = recalibrate(net, arch, data.train, { samples: sc.calibration.samples, seed: sc.seed });
    const model = extractSubnet(net, arch, stats);
    try {
      const inside = subnetLogits(net, arch, stats, data.validation);
      const d = data.validation.shape.reduce((a, b) => a * b, 1);
      const n = data.validation.y.length;
      const got = tf.tidy(() => (model.predict(tf.tensor(data.validation.x.subarray(0, n * d), [n, ...data.validation.shape])) as tf.Tensor).dataSync());
      let maxAbsDiff = 0;
      let correct = 0;
      const k = manifest.numClasses;
      for (let i = 0; i < n; i++) {
        let best = 0;
        for (let j = 0; j < k; j++) {
          maxAbsDiff = Math.max(maxAbsDiff, Math.abs(got[i * k + j]! - inside[i * k + j]!));
          if (got[i * k + j]! > got[i * k + best]!) best = j;
        }
        if (best === data.validation.y[i]) correct++;
      }
      if (!(maxAbsDiff <= EXTRACT_TOLERANCE)) {
        throw new DistilleryError('SUPERNET_PARITY', `${dir}: the extracted subnet's logits differ from the supernet's by ${maxAbsDiff.toExponential(2)} (tolerance ${EXTRACT_TOLERANCE}); nothing written`, 'please report this supernet as an extraction bug');
      }
      const out = resolve(opts.out);
      mkdirSync(out, { recursive: true });
      const result: ExtractResult = { out, subnet: arch, name: archName(arch), maxAbsDiff, accuracy: correct / n, params: model.countParams() };
      report({ event: 'info', message: `extracted ${from}: ${archName(arch)}: max |extracted - supernet| ${maxAbsDiff.toExponential(1)} over ${n} validation samples, accuracy ${(100 * result.accuracy).toFixed(2)}%` });
      const ft = opts.finetune;
      if (ft) {
        report({ event: 'info', message: `fine-tuning ${ft.epochs} epoch(s) by distillation from the largest subnet: parity with the supernet was checked above, before fine-tuning; the fine-tuned model no longer matches the supernet's logits` });
        const checkpointDir = join(out, 'checkpoint');
        result.finetune = await finetuneSubnet(model, net, data, sc, { epochs: ft.epochs, checkpointDir, reporter: report, ...(ft.lr !== undefined ? { lr: ft.lr } : {}), ...(ft.resume ? { resume: true } : {}) });
        const f = result.finetune;
        const pct = (v: number | undefined) => (v === undefined ? '-' : `${(100 * v).toFixed(2)}%`);
        report({ event: 'info', message: `fine-tuned ${f.epochs} epoch(s) at lr ${f.lr}: validation ${pct(f.before.validation)} -> ${pct(f.after.validation)}, test ${pct(f.before.test)} -> ${pct(f.after.test)}` });
      }
      const extra = { ...(opts.trial !== undefined ? { trial: opts.trial } : {}), ...(result.finetune ? { finetune: { epochs: result.finetune.epochs, lr: result.finetune.lr, loss: result.finetune.loss, teacher: 'largest subnet' } } : {}) };
      await saveSubnetModel(model, out, manifest, dir, arch, data.train, extra);
      // once the model is written: a run killed before this resumes from the last epoch
      if (ft) rmSync(join(out, 'checkpoint'), { recursive: true, force: true });
      if (opts.onnx) result.onnx = await exportOnnxFolder(out, { out, compare: false, reporter: report });
      return result;
    } finally {
      model.dispose();
    }
  } finally {
    net.dispose();
  }
}
