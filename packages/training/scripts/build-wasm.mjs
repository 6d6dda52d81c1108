// Compiles the training kernels (assembly/training-kernels.ts and the files it imports) and embeds
// the module in src/model/training-kernels.generated.ts (see @bilinear-lab/wasm-build).
import { fileURLToPath } from 'node:url';
import { embedAssemblyScript } from '@bilinear-lab/wasm-build';

const root = fileURLToPath(new URL('..', import.meta.url));
await embedAssemblyScript(root, 'assembly/training-kernels.ts', 'src/model/training-kernels.generated.ts');
