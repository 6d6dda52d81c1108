// The binary columns' format (Spectrum.eigenvalues, Eigenvectors.*): little-endian IEEE floats, no
// header — the row's count and dimension columns give the shape. Every host Node runs on is
// little-endian, so a typed array's bytes are the format as they are.

export function float64Column(values: Float64Array | readonly number[]): Uint8Array<ArrayBuffer> {
  const array = values instanceof Float64Array ? values : Float64Array.from(values);
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength).slice();
}

export function float32Column(
  values: Float32Array | Float64Array | readonly number[],
): Uint8Array<ArrayBuffer> {
  const array = values instanceof Float32Array ? values : Float32Array.from(values);
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength).slice();
}

export function readFloat64Column(bytes: Uint8Array): Float64Array {
  checkLength(bytes, 8);
  // Copy: a Buffer from the driver may start at an offset that is not a multiple of 8.
  return new Float64Array(bytes.slice().buffer);
}

export function readFloat32Column(bytes: Uint8Array): Float32Array {
  checkLength(bytes, 4);
  return new Float32Array(bytes.slice().buffer);
}

function checkLength(bytes: Uint8Array, width: number): void {
  if (bytes.byteLength % width !== 0) {
    throw new RangeError(
      `a float${width * 8} column holds ${bytes.byteLength} bytes, not a multiple of ${width}`,
    );
  }
}
