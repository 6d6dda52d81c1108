// docker/compose.yml as Docker Compose resolves it (Debian's docker-compose: `config` validates and
// interpolates without a Docker engine), and the Dockerfiles' inputs. No engine runs here, so the
// images are not built: these checks catch a broken file, a missing healthcheck or dependency, and a
// COPY of something the repository does not have.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const COMPOSE_FILE = join(REPO, 'docker', 'compose.yml');
const ADMIN_KEY = 'compose-test-admin-key';

const composeAvailable = spawnSync('docker-compose', ['version'], { encoding: 'utf8' }).status === 0;
if (!composeAvailable) {
  console.warn(
    'tests/deploy/compose.test.ts: docker-compose is not installed, so docker/compose.yml is not validated (apt-get install docker-compose; .ci/run does)',
  );
}

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string; args?: Record<string, string> };
  command?: string[] | string;
  environment?: Record<string, string | null>;
  volumes?: (string | { source: string; target: string })[];
  healthcheck?: { test: string[] | string };
  depends_on?: Record<string, { condition: string }>;
  deploy?: {
    replicas?: number;
    resources?: { reservations?: { devices?: { driver?: string; capabilities?: string[] }[] } };
  };
  profiles?: string[];
  ports?: unknown[];
}

function composeConfig(env: Record<string, string | undefined>) {
  return spawnSync('docker-compose', ['-f', COMPOSE_FILE, '--profile', 'gpu', 'config'], {
    cwd: REPO,
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
}

function text(value: string[] | string | undefined): string {
  return Array.isArray(value) ? value.join(' ') : (value ?? '');
}

/** Volume mounts as {source, target}, whichever syntax docker-compose printed. */
function mounts(service: Service) {
  return (service.volumes ?? []).map((volume) => {
    if (typeof volume !== 'string') return { source: volume.source, target: volume.target };
    const [source = '', target = ''] = volume.split(':');
    return { source, target };
  });
}

describe.skipIf(!composeAvailable)('docker/compose.yml (docker-compose config)', () => {
  const resolved = composeAvailable ? composeConfig({ BILINEAR_ADMIN_KEY: ADMIN_KEY }) : null;
  const config = resolved?.status === 0 ? parse(resolved.stdout) : null;
  const services = (config?.services ?? {}) as Record<string, Service>;
  const service = (name: string): Service => {
    const found = services[name];
    if (!found) throw new Error(`compose.yml has no service "${name}"`);
    return found;
  };

  it('validates, and defines the stores, the migration, the apps and the GPU worker', () => {
    expect(resolved?.stderr, 'docker-compose config failed').toBe('');
    expect(resolved?.status).toBe(0);
    expect(Object.keys(services).sort()).toEqual(
      ['api', 'migrate', 'postgres', 'redis', 'web', 'worker', 'worker-gpu'].sort(),
    );
    expect(Object.keys(config.volumes ?? {}).sort()).toEqual(['postgres-data', 'redis-data']);
  });

  it('refuses to start without BILINEAR_ADMIN_KEY, and says so', () => {
    const result = composeConfig({ BILINEAR_ADMIN_KEY: '' });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/BILINEAR_ADMIN_KEY/);
  });

  it('keeps Postgres 15 data in a volume and health-checks it with pg_isready', () => {
    const postgres = service('postgres');
    expect(postgres.image).toBe('postgres:15');
    expect(mounts(postgres)).toContainEqual({ source: 'postgres-data', target: '/var/lib/postgresql/data' });
    expect(text(postgres.healthcheck?.test)).toMatch(/pg_isready/);
  });

  it('runs Redis 7 with the append-only file on, in a volume, health-checked with redis-cli ping', () => {
    const redis = service('redis');
    expect(redis.image).toBe('redis:7');
    expect(text(redis.command)).toMatch(/--appendonly yes/);
    expect(text(redis.command)).toMatch(/--maxmemory-policy noeviction/);
    expect(mounts(redis)).toContainEqual({ source: 'redis-data', target: '/data' });
    expect(text(redis.healthcheck?.test)).toMatch(/redis-cli ping/);
  });

  it('migrates once Postgres is healthy, and starts the apps only after a successful migration', () => {
    const migrate = service('migrate');
    expect(text(migrate.command)).toMatch(/packages\/db\/dist\/migrations\/main\.js/);
    expect(migrate.depends_on?.postgres?.condition).toBe('service_healthy');
    for (const name of ['api', 'worker', 'worker-gpu']) {
      expect(service(name).depends_on, name).toEqual({
        postgres: { condition: 'service_healthy' },
        redis: { condition: 'service_healthy' },
        migrate: { condition: 'service_completed_successfully' },
      });
    }
    expect(service('web').depends_on?.api?.condition).toBe('service_healthy');
  });

  it('gives the API its admin key and a /health healthcheck; workers and API share one database and Redis', () => {
    const api = service('api');
    expect(api.environment?.BILINEAR_ADMIN_KEY).toBe(ADMIN_KEY);
    expect(text(api.healthcheck?.test)).toMatch(/\/health/);
    const stores = (name: string) => {
      const env = service(name).environment ?? {};
      return { database: env.DATABASE_URL, redis: env.REDIS_URL, prefix: env.BILINEAR_REDIS_PREFIX };
    };
    expect(stores('api').database).toMatch(/^postgresql:\/\/.+@postgres:5432\//);
    expect(stores('api').redis).toBe('redis://redis:6379');
    expect(stores('worker')).toEqual(stores('api'));
    expect(stores('worker-gpu')).toEqual(stores('api'));
    expect(service('migrate').environment?.DATABASE_URL).toBe(stores('api').database);
  });

  it('scales CPU workers with deploy.replicas and reserves an NVIDIA GPU for the gpu profile', () => {
    expect(service('worker').deploy?.replicas).toBe(1);
    const gpu = service('worker-gpu');
    expect(gpu.profiles).toEqual(['gpu']);
    expect(gpu.environment?.BILINEAR_BACKEND).toBe('tensorflow-gpu');
    expect(gpu.build?.args?.BILINEAR_GPU_BACKEND).toBe('tensorflow-gpu');
    expect(gpu.deploy?.resources?.reservations?.devices).toContainEqual(
      expect.objectContaining({ driver: 'nvidia', capabilities: ['gpu'] }),
    );
  });

  it('builds every app image from a Dockerfile in docker/, with the repository as context', () => {
    for (const [name, definition] of Object.entries(services)) {
      if (!definition.build) continue;
      expect(definition.build.context, name).toBe(REPO);
      expect(
        existsSync(join(REPO, definition.build.dockerfile)),
        `${name}: ${definition.build.dockerfile}`,
      ).toBe(true);
    }
  });
});

// --- The Dockerfiles (no docker-compose needed) ---

interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

/** Instructions of a Dockerfile, continuation lines joined, comments dropped. */
function instructions(source: string): Instruction[] {
  const result: Instruction[] = [];
  let pending: Instruction | null = null;
  source.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (!pending && (line === '' || line.startsWith('#'))) return;
    if (pending && line.startsWith('#')) return;
    const continued = line.endsWith('\\');
    const body = continued ? line.slice(0, -1) : line;
    if (pending) pending.args += ` ${body}`;
    else {
      const [keyword = '', ...rest] = body.split(/\s+/);
      pending = { keyword: keyword.toUpperCase(), args: rest.join(' '), line: index + 1 };
    }
    if (!continued) {
      result.push(pending);
      pending = null;
    }
  });
  return result;
}

const DOCKERFILES = readdirSync(join(REPO, 'docker')).filter((name) => name.endsWith('.Dockerfile'));

describe('docker/*.Dockerfile', () => {
  it('has the four images', () => {
    expect(DOCKERFILES.sort()).toEqual(
      ['api.Dockerfile', 'web.Dockerfile', 'worker-gpu.Dockerfile', 'worker.Dockerfile'].sort(),
    );
  });

  it.each(DOCKERFILES)('%s copies only what the repository has (build context: the root)', (file) => {
    const ignored = readFileSync(join(REPO, '.dockerignore'), 'utf8');
    for (const instruction of instructions(readFileSync(join(REPO, 'docker', file), 'utf8'))) {
      if (instruction.keyword !== 'COPY' && instruction.keyword !== 'ADD') continue;
      const words = instruction.args.split(/\s+/);
      if (words.some((word) => word.startsWith('--from='))) continue; // from another stage or image
      const paths = words.filter((word) => !word.startsWith('--'));
      const sources = paths.slice(0, -1);
      expect(sources.length, `${file}:${instruction.line}: COPY without a source`).toBeGreaterThan(0);
      for (const source of sources) {
        expect(
          existsSync(join(REPO, source)),
          `${file}:${instruction.line}: COPY ${source}: not in the repository`,
        ).toBe(true);
        expect(
          ignored.split('\n').map((entry) => entry.trim()),
          `${file}: ${source} is in .dockerignore`,
        ).not.toContain(source);
      }
    }
  });

  it.each(DOCKERFILES)('%s builds in stages and runs as a non-root user', (file) => {
    const steps = instructions(readFileSync(join(REPO, 'docker', file), 'utf8'));
    const stages = steps.filter((step) => step.keyword === 'FROM');
    expect(stages.length, 'a builder stage and a runtime stage').toBeGreaterThanOrEqual(2);
    const lastStage = steps.slice(steps.lastIndexOf(stages[stages.length - 1] as Instruction));
    const user = lastStage.filter((step) => step.keyword === 'USER').pop();
    expect(user?.args, 'the runtime stage sets USER').toBeDefined();
    expect(user?.args).not.toMatch(/^(root|0)(:|$)/);
    expect(lastStage.some((step) => step.keyword === 'CMD')).toBe(true);
  });

  it('puts both GPU paths in the GPU worker, tensorflow-gpu by default, selected by BILINEAR_BACKEND', () => {
    const source = readFileSync(join(REPO, 'docker', 'worker-gpu.Dockerfile'), 'utf8');
    expect(source).toMatch(/nvidia\/cuda:[^\s]*runtime/);
    expect(source).toMatch(/tfjs-node-gpu/);
    expect(source).toMatch(/ARG BILINEAR_GPU_BACKEND=tensorflow-gpu/);
    expect(source).toMatch(/BILINEAR_BACKEND=\$\{BILINEAR_GPU_BACKEND\}/);
    // webgpu: Dawn from the registry, the Vulkan loader, and the driver's Vulkan ICD mounted.
    expect(source).toMatch(/node_modules\/webgpu/);
    expect(source).toMatch(/libvulkan1/);
    expect(source).toMatch(/NVIDIA_DRIVER_CAPABILITIES=[^\s]*graphics/);
  });
});
