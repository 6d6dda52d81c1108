import { DatasetError } from '@bilinear-lab/datasets';
import {
  AdamWError,
  BackendUnavailableError,
  CheckpointError,
  TrainingOptionsError,
} from '@bilinear-lab/training';
import { CliInputError, inputAt } from '../errors.js';

// Kept apart from ../errors.ts so that commands without training never load TensorFlow.js.

const TRAINING_INPUT_ERRORS = [
  DatasetError,
  CheckpointError,
  AdamWError,
  TrainingOptionsError,
  BackendUnavailableError,
];

/**
 * inputAt, also for the errors the training engine and the datasets raise about their input (a
 * malformed checkpoint, a missing IDX file, an unavailable backend): CliInputError prefixed with
 * `where`, so they exit 2 saying what is wrong and where.
 */
export function trainingInputAt<T>(where: string, work: () => T | Promise<T>): Promise<T> {
  return inputAt(where, async () => {
    try {
      return await work();
    } catch (error) {
      if (TRAINING_INPUT_ERRORS.some((type) => error instanceof type)) {
        throw new CliInputError(`${where}: ${(error as Error).message}`, { cause: error });
      }
      throw error;
    }
  });
}
