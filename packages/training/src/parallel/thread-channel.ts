// What the image and language-model gradient threads share: parameters laid out in one
// SharedArrayBuffer, and waiting for a thread's next reply.
import type { Worker } from 'node:worker_threads';
import type { NamedArray } from '../model/parameters.js';

/** Float32 views, one per tensor of `layout` in order, into a shared buffer. */
export function sharedViews(
  buffer: SharedArrayBuffer,
  layout: readonly { name: string; shape: [number, number] }[],
): NamedArray[] {
  let offset = 0;
  return layout.map(({ name, shape }) => {
    const size = shape[0] * shape[1];
    const values = new Float32Array(buffer, offset * 4, size);
    offset += size;
    return { name, shape: [shape[0], shape[1]], values };
  });
}

/** The next message from a thread; an `error` message or the thread's crash or exit rejects. */
export function nextMessage<M extends { type: string }>(
  thread: Worker,
): Promise<Exclude<M, { type: 'error' }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: M | { type: 'error'; message: string; stack: string | undefined }) => {
      cleanup();
      if (message.type === 'error' && 'message' in message) {
        reject(Object.assign(new Error(message.message), { stack: message.stack }));
      } else resolve(message as Exclude<M, { type: 'error' }>);
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onExit = (code: number) => {
      cleanup();
      reject(new Error(`gradient thread exited with code ${code}`));
    };
    const cleanup = () => {
      thread.off('message', onMessage);
      thread.off('error', onError);
      thread.off('exit', onExit);
    };
    thread.on('message', onMessage);
    thread.on('error', onError);
    thread.on('exit', onExit);
  });
}
