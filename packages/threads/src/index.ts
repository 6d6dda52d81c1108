export { decomposeInThreads, type ThreadedDecomposeRequest } from './decompose-in-threads.js';
export { preferOptimizedWasm } from './optimized-wasm.js';
