import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { float64Bytes, withScratchDirectory } from './scratch.js';

describe('scratch files for a reference', () => {
  it('writes float64 little-endian and removes the folder afterwards, also after a failure', async () => {
    let kept = '';
    await expect(
      withScratchDirectory(async (directory) => {
        kept = directory;
        writeFileSync(join(directory, 'x.f64'), float64Bytes([1.5, -2]));
        expect(existsSync(join(directory, 'x.f64'))).toBe(true);
        throw new Error('the reference failed');
      }),
    ).rejects.toThrow('the reference failed');
    expect(kept).not.toBe('');
    expect(existsSync(kept)).toBe(false);
    expect([...float64Bytes([1.5])]).toEqual([0, 0, 0, 0, 0, 0, 0xf8, 0x3f]);
  });
});
