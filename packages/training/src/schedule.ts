// The learning-rate schedule without TensorFlow.js (`@bilinear-lab/training/schedule`): for callers
// such as the API that check a run's settings before queueing it, and must not load the engine.
export * from './optim/schedule.js';
export * from './train/run-schedule.js';
