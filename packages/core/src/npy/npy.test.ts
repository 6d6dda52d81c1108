import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeNpy, NpyError, parseNpy } from './npy.js';

const hasNumpy = (() => {
  try {
    execFileSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('npy', () => {
  it('round-trips float32 and float64 of any rank', () => {
    const f64 = Float64Array.from([1.5, -2, 1e-300, Math.PI, 0, -0.125]);
    for (const shape of [[6], [2, 3], [1, 2, 3]]) {
      expect(parseNpy(encodeNpy(f64, shape))).toEqual({ dtype: 'float64', shape, data: f64 });
    }
    const f32 = Float32Array.from([0.1, 2, -3]);
    expect(parseNpy(encodeNpy(f32, [3])).data).toEqual(Float64Array.from(f32));
  });

  it.skipIf(!hasNumpy)('numpy reads what we write and we read what numpy writes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'npy-'));
    try {
      writeFileSync(join(dir, 'ours.npy'), encodeNpy(Float64Array.from([1, 2, 3, 4, 5, 6]), [2, 3]));
      const printed = execFileSync(
        'python3',
        [
          '-c',
          'import numpy,sys; a=numpy.load(sys.argv[1]); print(a.shape, a.dtype, a.sum()); numpy.save(sys.argv[2], numpy.arange(12, dtype=numpy.float32).reshape(3, 4) / 8)',
          join(dir, 'ours.npy'),
          join(dir, 'theirs.npy'),
        ],
        { encoding: 'utf8' },
      );
      expect(printed.trim()).toBe('(2, 3) float64 21.0');
      const theirs = parseNpy(new Uint8Array(readFileSync(join(dir, 'theirs.npy'))));
      expect(theirs.shape).toEqual([3, 4]);
      expect(theirs.dtype).toBe('float32');
      expect(Array.from(theirs.data)).toEqual(Array.from({ length: 12 }, (_, i) => i / 8));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says what is wrong with a file it cannot read', () => {
    expect(() => parseNpy(new Uint8Array([1, 2, 3]))).toThrow(NpyError);
    const good = encodeNpy(Float64Array.from([1, 2]), [2]);
    expect(() => parseNpy(good.subarray(0, good.length - 1))).toThrow(
      /has 15 bytes, shape \(2\) of float64 needs 16/,
    );
    const text = new TextDecoder('latin1').decode(good).replace('<f8', '<i8');
    expect(() => parseNpy(Uint8Array.from(text, (c) => c.charCodeAt(0)))).toThrow(
      /dtype <i8 is not supported/,
    );
  });
});
