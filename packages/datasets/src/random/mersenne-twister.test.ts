import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { mersenneTwister, torchRandperm } from './mersenne-twister.js';

describe('mersenneTwister', () => {
  it('matches the reference MT19937 outputs', () => {
    // The C++ standard requires the 10 000th output of std::mt19937 (default seed 5489) to be 4123659995.
    const next = mersenneTwister(5489);
    let value = 0;
    for (let i = 0; i < 10_000; i++) value = next();
    expect(value).toBe(4123659995);
    // First outputs of init_genrand(5489), from Matsumoto and Nishimura's mt19937ar.c.
    const fresh = mersenneTwister(5489);
    expect([fresh(), fresh(), fresh()]).toEqual([3499211612, 581869302, 3890346734]);
  });
});

describe('torchRandperm', () => {
  it('reproduces torch.randperm after torch.manual_seed (values printed by PyTorch 1.13)', () => {
    expect(Array.from(torchRandperm(10, 0))).toEqual([4, 1, 7, 5, 3, 9, 0, 8, 6, 2]);
    const perm = torchRandperm(10_000, 11);
    expect(Array.from(perm.subarray(0, 8))).toEqual([2441, 5020, 2254, 8770, 4557, 7317, 6765, 1825]);
    expect(Array.from(perm.subarray(7995, 8005))).toEqual([
      6818, 9234, 3880, 6309, 2873, 39, 9431, 9130, 4074, 9971,
    ]);
    expect(Array.from(perm.subarray(9992))).toEqual([4527, 6319, 4759, 3710, 4048, 9616, 9588, 9069]);
    // sha256 of the whole permutation as little-endian uint16, computed from PyTorch's output.
    const bytes = Buffer.from(Uint16Array.from(perm).buffer);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(
      '85bf69bcdf8c1ab1ac213219ccf808611e90799e61c92ede7997a3dfee263f05',
    );
  });

  it('is a permutation', () => {
    const perm = torchRandperm(1000, 7);
    expect(Array.from(perm).sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(torchRandperm(0, 1).length).toBe(0);
    expect(Array.from(torchRandperm(1, 1))).toEqual([0]);
  });
});
