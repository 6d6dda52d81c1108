// The dashboard's security headers, set on every page and route by next.config.ts headers(). The
// pages run only their own code: scripts, styles, images and fetches (the /api/platform proxy and
// its event streams) from this origin. Next's App Router inlines its flight data as <script> tags,
// so scripts need 'unsafe-inline' (a nonce would need every page rendered per request); external
// script origins, plugins, <base> and cross-site form posts stay blocked, and no site may frame it.

export interface SecurityHeader {
  key: string;
  value: string;
}

export function contentSecurityPolicy({ development }: { development: boolean }): string {
  const directives: Record<string, string[]> = {
    'default-src': ["'self'"],
    // next dev's fast refresh evaluates code; a production build never does.
    'script-src': ["'self'", "'unsafe-inline'", ...(development ? ["'unsafe-eval'"] : [])],
    'style-src': ["'self'", "'unsafe-inline'"],
    // Heatmaps and the draw pad are canvases (no image loads); data: covers small inline icons.
    'img-src': ["'self'", 'data:'],
    'font-src': ["'self'", 'data:'],
    'connect-src': ["'self'", ...(development ? ['ws:'] : [])],
    'object-src': ["'none'"],
    'base-uri': ["'self'"],
    'form-action': ["'self'"],
    'frame-ancestors': ["'none'"],
  };
  return Object.entries(directives)
    .map(([name, sources]) => `${name} ${sources.join(' ')}`)
    .join('; ');
}

export function securityHeaders({ development }: { development: boolean }): SecurityHeader[] {
  return [
    { key: 'Content-Security-Policy', value: contentSecurityPolicy({ development }) },
    { key: 'X-Frame-Options', value: 'DENY' },
    { key: 'X-Content-Type-Options', value: 'nosniff' },
    { key: 'Referrer-Policy', value: 'strict-origin-when-cross-origin' },
  ];
}
