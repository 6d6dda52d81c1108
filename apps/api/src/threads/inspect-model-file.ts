// A thread of the model-inspection pool (services/model-inspection-pool.ts): reads model files with
// the training package and scores MNIST-shaped classifiers on the bundled test split, one request at
// a time. TensorFlow.js and the 2 000 test digits are loaded once, on first use, and kept while the
// thread lives: the pool runs few of these and ends them when idle, so their tens of MB come and go
// with the thread instead of staying in the API's heap.
import { parentPort } from 'node:worker_threads';
import type { ModelConfig } from '@bilinear-lab/core';
import { type Dataset, fitsBundledMnist, formatDatasetSpec, loadBundledMnist } from '@bilinear-lab/datasets';
import * as training from '@bilinear-lab/training';

export interface InspectRequest {
  /** Sent with its buffer transferred (not copied), and handed back the same way in the reply. */
  bytes: Uint8Array<ArrayBuffer>;
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

/** What the thread posts back: the result, and the request's bytes (transferred back). */
export interface InspectReply {
  result: InspectResult;
  bytes: Uint8Array<ArrayBuffer>;
}

let mnist: Promise<Dataset> | null = null;

function isMnistClassifier(config: ModelConfig): boolean {
  return (
    config.kind === 'image-classifier' && config.loss === 'cross-entropy' && fitsBundledMnist(config) === null
  );
}

async function loadEvaluation(): Promise<Dataset> {
  await training.selectBackend('wasm').catch(() => training.selectBackend('cpu'));
  return loadBundledMnist();
}

async function evaluateOnMnist(model: training.ImportedModel, config: ModelConfig) {
  mnist ??= loadEvaluation();
  const dataset = await mnist.catch((error: unknown) => {
    mnist = null; // a failed load is retried by the next request
    throw error;
  });
  const shape = training.networkShapeOf(config);
  const test = await training.evaluateParameters(
    shape,
    training.fromReferenceLayout(shape, model.parameters),
    dataset.test,
    dataset.outputDim,
  );
  return {
    testAccuracy: test.accuracy,
    testLoss: test.loss,
    testSamples: dataset.test.count,
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
  // A file whose own config says residual or not decides; the declaration only fills in for a file
  // without one. A contradiction comes back unevaluated, with the file's value, for the caller to refuse.
  if (residual !== null && model.configSource === 'metadata' && model.config.residual !== residual) {
    return { ok: true, config: model.config, configSource: model.configSource, metrics: null };
  }
  const config = residual === null ? model.config : { ...model.config, residual };
  const metrics = isMnistClassifier(config) ? await evaluateOnMnist(model, config) : null;
  return { ok: true, config, configSource: model.configSource, metrics };
}

const port = parentPort;
if (port) {
  port.on('message', async (request: InspectRequest) => {
    const result = await inspect(request).catch(
      (error: unknown): InspectResult => ({
        ok: false,
        name: (error as Error).name ?? 'Error',
        message: (error as Error).message ?? String(error),
      }),
    );
    const reply: InspectReply = { result, bytes: request.bytes };
    port.postMessage(reply, [request.bytes.buffer]);
  });
}
