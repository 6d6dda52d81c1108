import { createServer } from 'node:net';

/** Whether `host:port` can be bound right now. */
export function isPortFree(port, host = '127.0.0.1') {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** `preferred` if free, else the next free port above it (up to 100 tries). */
export async function findFreePort(preferred, host = '127.0.0.1') {
  for (let port = preferred; port < preferred + 100; port++) {
    if (await isPortFree(port, host)) return port;
  }
  throw new Error(`no free port on ${host} between ${preferred} and ${preferred + 99}`);
}
