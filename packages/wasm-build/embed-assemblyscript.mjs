// Compiles an AssemblyScript entry point to WebAssembly and embeds the module as base64 in a generated
// TypeScript file (`export const wasmBase64`), so that a package loads its kernels with no file
// system or fetch — the same in Node, a worker thread and a browser. The core's and the training
// package's build scripts call it, so that every kernel module is compiled with the same options:
// fully optimised for speed, SIMD on, no garbage collector (the kernels work in memory their
// callers lay out), assertions off.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import asc from 'assemblyscript/asc';

const COMPILER_OPTIONS = [
  '--optimizeLevel',
  '3',
  '--shrinkLevel',
  '0',
  '--runtime',
  'stub',
  '--noAssert',
  '--enable',
  'simd',
  '--initialMemory',
  '1',
];

/**
 * Compiles `source` (an entry point, relative to the package `root`; the files it imports are
 * found from there) and writes `target` (relative to `root`), saying so on stdout. Throws with the
 * compiler's messages when the source does not compile.
 */
export async function embedAssemblyScript(root, source, target) {
  const wasmPath = join(tmpdir(), `bilinear-wasm-build-${process.pid}-${Date.now()}.wasm`);
  try {
    const { error, stderr } = await asc.main([
      join(root, source),
      '--outFile',
      wasmPath,
      ...COMPILER_OPTIONS,
    ]);
    if (error) {
      console.error(stderr.toString());
      throw new Error(`AssemblyScript build of ${source} failed: ${error.message}`);
    }
    const base64 = readFileSync(wasmPath).toString('base64');
    mkdirSync(dirname(join(root, target)), { recursive: true });
    writeFileSync(
      join(root, target),
      `// Generated from ${source} by the package's scripts/build-wasm.mjs. Do not edit.\nexport const wasmBase64 =\n  '${base64}';\n`,
    );
    console.log(`${source} → ${target} (${Math.round((base64.length * 3) / 4)} bytes)`);
  } finally {
    rmSync(wasmPath, { force: true });
  }
}
