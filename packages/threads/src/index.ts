export {
  decomposeInThreads,
  type PositionRange,
  type ThreadedDecomposeRequest,
} from './decompose-in-threads.js';
export { EigenvectorThread } from './eigenvector-thread.js';
export {
  decomposeTargetWithHelper,
  InteractionHelper,
  type PrefetchedDecomposeHooks,
} from './interaction-prefetch.js';
export { preferOptimizedWasm } from './optimized-wasm.js';
