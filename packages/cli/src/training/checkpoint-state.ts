import {
  type EpochMetrics,
  fromReferenceLayout,
  initialParameters,
  modelConfigOf,
  type NamedArray,
  type NamedTensor,
  type NetworkShape,
  networkShapeOf,
  parameterShapes,
  type ReadTrainingCheckpoint,
  type TrainingOptions,
  type TrainingState,
  toReferenceLayout,
  writeCheckpoint,
} from '@bilinear-lab/training';
import { CliInputError } from '../errors.js';

// The trainer keeps parameters and AdamW's moments in its compute layout (transposed, W and V
// apart); checkpoints hold both in the reference layout. AdamW is elementwise, so the moments
// convert with the same transposition as the weights.

/** A checkpoint file's bytes for a state the trainer reported; `training` goes into its metadata. */
export function checkpointBytes(state: TrainingState, training: Record<string, unknown>): Uint8Array {
  const { shape } = state;
  const moments = (list: readonly NamedTensor[]) => toReferenceLayout(shape, withShapes(shape, list));
  return writeCheckpoint({
    config: modelConfigOf(shape),
    parameters: toReferenceLayout(shape, state.parameters),
    optimizerState: {
      step: state.optimizer.step,
      m: moments(state.optimizer.m),
      v: moments(state.optimizer.v),
    },
    epoch: state.epoch,
    step: state.step,
    trainingOptions: training,
    history: state.history.map((metrics) => ({ ...metrics })),
  });
}

/** The state to hand train() as `resume`, from a checkpoint read with readCheckpoint. */
export function stateFromCheckpoint(
  checkpoint: ReadTrainingCheckpoint,
  options: TrainingOptions,
  where: string,
): TrainingState {
  const shape = networkShapeOf(checkpoint.config);
  return {
    shape,
    options,
    epoch: checkpoint.epoch,
    step: checkpoint.step,
    parameters: fromReferenceLayout(shape, checkpoint.parameters),
    optimizer: {
      step: checkpoint.optimizerState.step,
      m: fromReferenceLayout(shape, checkpoint.optimizerState.m),
      v: fromReferenceLayout(shape, checkpoint.optimizerState.v),
    },
    history: checkpoint.history.map((entry, index) => epochMetrics(entry, index, where)),
  };
}

/**
 * The state before the first step (what train() starts from: the seeded initial weights, AdamW's
 * zero moments), so that a run stopped in its first epoch still leaves a checkpoint.
 */
export function initialState(shape: NetworkShape, options: TrainingOptions): TrainingState {
  const parameters = initialParameters(shape, options.seed);
  const zeros = () =>
    parameters.map(({ name, values }) => ({ name, values: new Float32Array(values.length) }));
  return {
    shape,
    options,
    epoch: 0,
    step: 0,
    parameters,
    optimizer: { step: 0, m: zeros(), v: zeros() },
    history: [],
  };
}

function withShapes(shape: NetworkShape, tensors: readonly NamedTensor[]): NamedArray[] {
  const shapes = new Map(parameterShapes(shape).map((entry) => [entry.name, entry.shape]));
  return tensors.map(({ name, values }) => {
    const matrix = shapes.get(name);
    if (matrix === undefined) throw new Error(`optimizer moment ${name} matches no parameter`);
    return { name, shape: matrix, values };
  });
}

function epochMetrics(entry: unknown, index: number, where: string): EpochMetrics {
  const record = entry as Partial<Record<keyof EpochMetrics, unknown>> | null;
  if (typeof record !== 'object' || record === null || record.epoch !== index + 1) {
    throw new CliInputError(
      `${where}: the checkpoint's history entry ${index} is not the metrics of epoch ${index + 1}`,
    );
  }
  return record as EpochMetrics;
}
