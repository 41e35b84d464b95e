import { join } from 'node:path';
import type { EvalOutcome, EvalRequest, Evaluator, LatencyOptions } from '../evaluate/index.ts';
import { measureLatency } from '../evaluate/index.ts';
import { failureReason } from '../evaluate/index.ts';
import type { Dataset } from '../data/index.ts';
import { resolveSpec, type ModelSpec } from '../models/index.ts';
import { predictLatency, type LatencyTable } from '../models/latency/index.ts';
import { checkSpecLimits, violation, type Limit, type MetricName } from '../search/index.ts';
import type { Candidate } from '../search/index.ts';
import { extractSubnet } from './extract.ts';
import type { SupernetManifest } from './folder.ts';
import { saveSubnetModel } from './save.ts';
import type { Supernet } from './net.ts';
import { recalibrate, subnetAccuracy } from './score.ts';
import { archFromCandidate, archName, subnetSpec } from './space.ts';

/** What a {@link SubnetEvaluator} needs: the trained supernet, its data, and the study's terms. */
export interface SubnetEvaluatorConfig {
  net: Supernet;
  train: Dataset;
  validation: Dataset;
  objectives: readonly { metric: string; direction: 'min' | 'max' }[];
  limits: readonly Limit[];
  /** Training samples each subnet's BN is recalibrated on. */
  calibrationSamples: number;
  seed: number;
  latency?: LatencyOptions;
  latencyTable?: LatencyTable;
  /** With these, each scored subnet is also saved as a model folder in its trial's artifact folder. */
  save?: { manifest: SupernetManifest; folder: string };
}

const fmt = (v: number | undefined) => (v === undefined ? '?' : Number.isInteger(v) ? String(v) : v.toPrecision(4));

/**
 * The study's evaluator for a supernet: a candidate is a subnet, scored without training:
 * limits known from its spec (params, MACs, bytes, a device table's `predictedLatencyMs`) are
 * checked first, then its batch norm is recalibrated on a few hundred training samples, its
 * validation accuracy measured inside the supernet, and, when latency counts, the extracted
 * standalone model timed in the target runtime; with `save`, the extracted model is written to
 * the trial's artifact folder, as a trained trial's is. Seconds per candidate, not minutes.
 *
 * @example
 * const ev = new SubnetEvaluator({ net, train, validation, objectives, limits, calibrationSamples: 500, seed: 1 });
 * await runStudy({ ...setup, evaluator: ev }, { store });
 */
export class SubnetEvaluator implements Evaluator {
  readonly objectives: readonly string[];

  constructor(private readonly config: SubnetEvaluatorConfig) {
    this.objectives = config.objectives.map((o) => o.metric);
  }

  check(c: Candidate): { violation: number; metrics: Record<string, number>; reason?: string; spec?: unknown } {
    const { net } = this.config;
    const arch = archFromCandidate(net.space, c);
    const model = subnetSpec(net.space, arch);
    const table = this.config.latencyTable;
    // the full model: the dense head is appended at build time (from numClasses), so a spec
    // predicted without it is a smaller model than the one that runs
    const predict = table ? (spec: ModelSpec) => predictLatency(resolveSpec({ ...spec, input: [...net.inputShape] }, { numClasses: net.numClasses }), table).ms : undefined;
    const r = checkSpecLimits(model, this.config.limits, net.inputShape, net.numClasses, predict);
    const spec = { model, subnet: arch, name: archName(arch) };
    if (r.ok) return { violation: 0, metrics: r.metrics, spec };
    const reason = r.failed.map((l) => `${l.metric} ${fmt(r.metrics[l.metric as keyof typeof r.metrics])} breaks ${l.metric}${l.op}${fmt(l.value)}`).join('; ');
    return { violation: r.violation, metrics: r.metrics, reason, spec };
  }

  async evaluate(req: EvalRequest): Promise<EvalOutcome> {
    const pre = this.check(req.candidate);
    const values: Record<string, number> = { ...pre.metrics };
    const spec = pre.spec;
    if (pre.violation > 0) return { state: 'infeasible', reason: pre.reason ?? 'breaks a limit', constraintViolation: pre.violation, values, artifacts: {}, ...(spec ? { spec } : {}) };
    const { net, train, validation } = this.config;
    const arch = archFromCandidate(net.space, req.candidate);
    const started = performance.now();
    try {
      const stats = recalibrate(net, arch, train, { samples: this.config.calibrationSamples, seed: this.config.seed });
      values['recalibrateSeconds'] = (performance.now() - started) / 1000;
      values['accuracy'] = subnetAccuracy(net, arch, stats, validation);
      const artifacts: Record<string, string> = {};
      const timed = this.config.latency && this.needs('latencyMs');
      const save = this.config.save && req.artifactDir !== undefined;
      if (timed || save) {
        const model = extractSubnet(net, arch, stats);
        try {
          if (timed) values['latencyMs'] = (await measureLatency(model, net.inputShape, this.config.latency!)).medianMs;
          if (save) {
            const dir = join(req.artifactDir!, 'model');
            await saveSubnetModel(model, dir, this.config.save!.manifest, this.config.save!.folder, arch, train, { trial: req.trialId });
            artifacts['model'] = dir;
          }
        } finally {
          model.dispose();
        }
      }
      values['seconds'] = (performance.now() - started) / 1000;
      const objectives = this.config.objectives.map((o) => values[o.metric] ?? NaN);
      return { state: 'complete', objectives, constraintViolation: violation(values as Partial<Record<MetricName, number>>, this.config.limits), values, artifacts, ...(spec ? { spec } : {}) };
    } catch (e) {
      return { state: 'failed', reason: failureReason(e), constraintViolation: 0, values, artifacts: {}, ...(spec ? { spec } : {}) };
    }
  }

  private needs(metric: MetricName): boolean {
    return this.config.objectives.some((o) => o.metric === metric) || this.config.limits.some((l) => l.metric === metric);
  }

  async dispose(): Promise<void> {}
}
