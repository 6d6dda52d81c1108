export {
  decomposeInThreads,
  type PositionRange,
  type ThreadedDecomposeRequest,
} from './decompose-in-threads.js';
export { preferOptimizedWasm } from './optimized-wasm.js';
