// ActivationsOutput.contexts: an output's top-activating contexts in binary — one series per
// direction read (the output's own, then each eigenvector), each a list of contexts: the position
// (sequence, position), the focus within the context, its value, then the context's token ids
// (uint32) and per-token values (float32). Little-endian; 8 bytes a token, against ~30 of JSON: 4096
// outputs × 9 series × 20 contexts × 17 tokens stay near 100 MB.

export interface StoredContext {
  sequence: number;
  position: number;
  value: number;
  tokens: readonly number[];
  values: readonly number[];
  /** Index of the position itself within `tokens`. */
  focus: number;
}

const HEADER_BYTES = 20;

export function contextsColumn(series: readonly (readonly StoredContext[])[]): Uint8Array<ArrayBuffer> {
  let size = 4;
  for (const contexts of series) {
    size += 4;
    for (const context of contexts) {
      if (context.values.length !== context.tokens.length) {
        throw new RangeError(
          `a context has ${context.tokens.length} tokens but ${context.values.length} values`,
        );
      }
      size += HEADER_BYTES + 8 * context.tokens.length;
    }
  }
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  let at = 0;
  const u32 = (value: number) => {
    view.setUint32(at, value, true);
    at += 4;
  };
  const f32 = (value: number) => {
    view.setFloat32(at, value, true);
    at += 4;
  };
  u32(series.length);
  for (const contexts of series) {
    u32(contexts.length);
    for (const context of contexts) {
      u32(context.sequence);
      u32(context.position);
      u32(context.focus);
      u32(context.tokens.length);
      f32(context.value);
      for (const token of context.tokens) u32(token);
      for (const value of context.values) f32(value);
    }
  }
  return bytes;
}

export function readContextsColumn(bytes: Uint8Array): StoredContext[][] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  const need = (count: number) => {
    if (at + count > bytes.byteLength) {
      throw new RangeError(`a contexts column of ${bytes.byteLength} bytes ends inside a record at ${at}`);
    }
  };
  const u32 = () => {
    need(4);
    const value = view.getUint32(at, true);
    at += 4;
    return value;
  };
  const f32 = () => {
    need(4);
    const value = view.getFloat32(at, true);
    at += 4;
    return value;
  };
  const seriesCount = u32();
  const series: StoredContext[][] = [];
  for (let s = 0; s < seriesCount; s++) {
    const count = u32();
    const contexts: StoredContext[] = [];
    for (let c = 0; c < count; c++) {
      const sequence = u32();
      const position = u32();
      const focus = u32();
      const length = u32();
      const value = f32();
      need(8 * length);
      const tokens = Array.from({ length }, u32);
      const values = Array.from({ length }, f32);
      contexts.push({ sequence, position, value, tokens, values, focus });
    }
    series.push(contexts);
  }
  if (at !== bytes.byteLength) {
    throw new RangeError(`a contexts column has ${bytes.byteLength - at} bytes after its last series`);
  }
  return series;
}
