// Runs on a short-lived worker thread for each model import: reading the file with the training
// package and scoring an MNIST-shaped classifier on the bundled test split load TensorFlow.js and
// 10 000 digits — tens of MB the API process would otherwise keep for good. The thread's heap and
// wasm memory go away when it exits.
import { parentPort, workerData } from 'node:worker_threads';
import type { ModelConfig } from '@bilinear-lab/core';
import { fitsBundledMnist, formatDatasetSpec, loadBundledMnist } from '@bilinear-lab/datasets';
import * as training from '@bilinear-lab/training';

export interface InspectRequest {
  bytes: Uint8Array;
  /** Overrides the config's residual flag (a file without our config cannot tell); null keeps it. */
  residual: boolean | null;
}

export type InspectResult =
  | {
      ok: true;
      config: ModelConfig;
      configSource: 'metadata' | 'shapes';
      /** Test accuracy and loss on the bundled MNIST test split, for an MNIST-shaped classifier. */
      metrics: Record<string, number | string | null> | null;
    }
  | { ok: false; name: string; message: string };

function isMnistClassifier(config: ModelConfig): boolean {
  return (
    config.kind === 'image-classifier' && config.loss === 'cross-entropy' && fitsBundledMnist(config) === null
  );
}

async function evaluateOnMnist(model: training.ImportedModel, config: ModelConfig) {
  await training.selectBackend('wasm').catch(() => training.selectBackend('cpu'));
  const mnist = await loadBundledMnist();
  const shape = training.networkShapeOf(config);
  const test = training.evaluateParameters(
    shape,
    training.fromReferenceLayout(shape, model.parameters),
    mnist.test,
    mnist.outputDim,
  );
  return {
    testAccuracy: test.accuracy,
    testLoss: test.loss,
    testSamples: mnist.test.count,
    evaluatedOn: formatDatasetSpec({ kind: 'mnist' }),
  };
}

async function inspect({ bytes, residual }: InspectRequest): Promise<InspectResult> {
  let model: training.ImportedModel;
  try {
    model = training.readModelFile(bytes);
  } catch (error) {
    return { ok: false, name: (error as Error).name, message: (error as Error).message };
  }
  const config = residual === null ? model.config : { ...model.config, residual };
  const metrics = isMnistClassifier(config) ? await evaluateOnMnist(model, config) : null;
  return { ok: true, config, configSource: model.configSource, metrics };
}

if (parentPort) {
  parentPort.postMessage(await inspect(workerData as InspectRequest));
}
