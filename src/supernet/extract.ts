import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { buildModel } from '../models/index.ts';
import type { BnStats, Supernet } from './net.ts';
import { subnetSpec, type SubnetArch } from './space.ts';

/**
 * A subnet as a standalone TF.js model: the plain spec of {@link subnetSpec} built by the model
 * builder (stock layers, no supernet machinery), with the subnet's weights copied in: the
 * sliced expand/project convs and BN parameters, the depthwise kernel after the kernel
 * transforms, and the recalibrated statistics as the BN layers' moving mean and variance. In
 * inference its outputs equal the subnet's inside the supernet (`forward` with `infer`).
 *
 * @example
 * const stats = recalibrate(net, arch, train);
 * const model = extractSubnet(net, arch, stats);
 */
export function extractSubnet(net: Supernet, arch: SubnetArch, stats: BnStats): LayersModel {
  const spec = subnetSpec(net.space, arch, net.inputShape);
  const model = buildModel(spec, { inputShape: net.inputShape, numClasses: net.numClasses });
  try {
    tf.tidy(() => {
      const set = (layer: string, values: tf.Tensor[]) => model.getLayer(layer).setWeights(values);
      const slice = (name: string, size: number[]) => tf.slice(net.get(name), size.map(() => 0), size);
      const bn = (layer: string, name: string, c: number) => {
        const s = stats.get(name);
        if (!s || s.mean.length !== c) throw new Error(`extract: no recalibrated statistics of ${name} (${c} channels)`);
        set(layer, [slice(`${name}_gamma`, [c]), slice(`${name}_beta`, [c]), tf.tensor1d(s.mean), tf.tensor1d(s.variance)]);
      };
      set('b0_conv', [net.get('stem_conv')]);
      bn('b0_bn', 'stem_bn', net.space.stem.filters);
      let i = 1;
      for (const b of net.blocks) {
        if (b.index >= arch.depth[b.stage]!) continue;
        const p = `b${i++}`;
        const hidden = b.cin * arch.expansion[b.stage]![b.index]!;
        set(`${p}_expand`, [slice(`${b.name}_expand`, [1, 1, b.cin, hidden])]);
        bn(`${p}_expand_bn`, `${b.name}_expand_bn`, hidden);
        set(`${p}_dw`, [net.depthwiseKernel(b, arch.kernel[b.stage]![b.index]!, hidden)]);
        bn(`${p}_dw_bn`, `${b.name}_dw_bn`, hidden);
        set(`${p}_project`, [slice(`${b.name}_project`, [1, 1, hidden, b.filters])]);
        bn(`${p}_project_bn`, `${b.name}_project_bn`, b.filters);
      }
      // block i is the global average pooling; the dense head follows it
      set(`b${i + 1}_dense`, [net.get('head_kernel'), net.get('head_bias')]);
    });
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model;
}
