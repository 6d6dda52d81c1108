// Compiles the core's AssemblyScript kernels (assembly/) and embeds each module in
// src/wasm/<name>.generated.ts (see @bilinear-lab/wasm-build).
import { fileURLToPath } from 'node:url';
import { embedAssemblyScript } from '@bilinear-lab/wasm-build';

const root = fileURLToPath(new URL('..', import.meta.url));
// Entry points only; other files in assembly/ are modules they import.
for (const name of ['eigen']) {
  await embedAssemblyScript(root, `assembly/${name}.ts`, `src/wasm/${name}.generated.ts`);
}
