import type { FastifyInstance } from 'fastify';

/**
 * Marks a plugin as not encapsulated, so what it decorates is visible to the whole app — what
 * fastify-plugin does, without the extra dependency.
 */
export function globalPlugin<Options>(
  name: string,
  plugin: (app: FastifyInstance, options: Options) => Promise<void>,
): (app: FastifyInstance, options: Options) => Promise<void> {
  Object.assign(plugin, {
    [Symbol.for('skip-override')]: true,
    [Symbol.for('fastify.display-name')]: name,
  });
  return plugin;
}
