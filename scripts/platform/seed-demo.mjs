// The demo a first `npm start` leaves behind: a project "demo" with the bundled MNIST model trained
// twice on the default config — two seeds, so the Compare page has two runs to overlay on the first
// visit — each then decomposed (top 16 eigenvectors per class). Everything goes through the public
// API, as a user's script would.
//
// Idempotent across restarts: when "demo" exists without the demo model (someone's own project of
// that name) nothing is seeded; an earlier start that was stopped half way (training still queued, a
// decomposition never requested, or a demo from before the second seed) is carried on.

export const DEMO_PROJECT = 'demo';
export const DEMO_MODEL = 'mnist-demo';
const DEMO_MODELS = [
  { name: DEMO_MODEL, config: {} },
  { name: `${DEMO_MODEL}-seed-7`, config: { seed: 7 } },
];
const DEMO_DECOMPOSITION = { topK: 16 };
const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

export async function seedDemo({ apiUrl, adminKey, log, signal }) {
  const api = apiClient(apiUrl, adminKey, signal);
  let project = listOf(await api.get('/api/v1/projects')).find(
    (candidate) => candidate.name === DEMO_PROJECT,
  );
  let existing = [];
  if (project) {
    existing = listOf(await api.get(`/api/v1/projects/${project.id}/models`));
    if (!existing.some((model) => model.name === DEMO_MODEL)) {
      log.info(`project "${DEMO_PROJECT}" exists already (${project.id}); not seeding`);
      return;
    }
  } else {
    project = await api.post('/api/v1/projects', { name: DEMO_PROJECT });
    log.info(`created project "${DEMO_PROJECT}" (${project.id})`);
  }

  // Both trainings are queued first, so a second worker (or a free one) can take the other.
  const runs = [];
  for (const demo of DEMO_MODELS) {
    const model = existing.find((candidate) => candidate.name === demo.name);
    if (model && (model.status === 'failed' || model.status === 'cancelled')) {
      log.info(
        `the demo model ${demo.name}'s training ${model.status} earlier (job ${model.jobId}); not seeding it again`,
      );
      continue;
    }
    if (model) {
      runs.push({
        name: demo.name,
        modelId: model.id,
        trainJobId: model.status === 'completed' ? null : model.jobId,
      });
      continue;
    }
    const trained = await api.post(`/api/v1/projects/${project.id}/models/train`, {
      dataset: 'mnist',
      name: demo.name,
      config: demo.config,
    });
    log.info(
      `training ${demo.name} on the bundled MNIST digits (default config${demo.config.seed === undefined ? '' : `, seed ${demo.config.seed}`}): model ${trained.modelId}, job ${trained.jobId}`,
    );
    runs.push({ name: demo.name, modelId: trained.modelId, trainJobId: trained.jobId });
  }
  for (const run of runs) await trainAndDecompose(api, apiUrl, run, log, signal);
}

async function trainAndDecompose(api, apiUrl, { name, modelId, trainJobId }, log, signal) {
  if (trainJobId) {
    const job = await waitForJob(api, trainJobId, `training ${name}`, log, signal);
    if (job.status !== 'completed') return;
    const model = await api.get(`/api/v1/models/${modelId}`);
    const accuracy = model.metrics?.testAccuracy;
    log.info(
      `trained ${name}${typeof accuracy === 'number' ? `: test accuracy ${(accuracy * 100).toFixed(2)} %` : ''}`,
    );
  }

  const { response, body } = await api.request(
    'POST',
    `/api/v1/models/${modelId}/decompositions`,
    DEMO_DECOMPOSITION,
  );
  if (response.status === 200) {
    log.info(`${name} is decomposed already: decomposition ${body.decompositionId}`);
    return;
  }
  log.info(
    `decomposing ${name} (top ${DEMO_DECOMPOSITION.topK}): decomposition ${body.decompositionId}, job ${body.jobId}`,
  );
  const job = await waitForJob(api, body.jobId, `decomposing ${name}`, log, signal);
  if (job.status === 'completed') {
    log.info(`${name} ready: GET ${apiUrl}/api/v1/decompositions/${body.decompositionId}`);
  }
}

/** Polls a job until it ends, logging its progress every 10 %. */
async function waitForJob(api, jobId, what, log, signal) {
  let reported = -1;
  for (;;) {
    const job = await api.get(`/api/v1/jobs/${jobId}`);
    const tenth = Math.floor((job.progress ?? 0) * 10);
    if (job.status === 'running' && tenth > reported) {
      reported = tenth;
      log.info(`${what}: ${tenth * 10} %`);
    }
    if (TERMINAL.has(job.status)) {
      if (job.status !== 'completed') log.error(`${what}: ${job.status}${job.error ? `: ${job.error}` : ''}`);
      return job;
    }
    await delay(2000, signal);
  }
}

function apiClient(baseUrl, key, signal) {
  const request = async (method, path, payload) => {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      signal,
      headers: {
        authorization: `Bearer ${key}`,
        ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: payload === undefined ? undefined : JSON.stringify(payload),
    });
    const text = await response.text();
    const body = text ? JSON.parse(text) : null;
    if (!response.ok) {
      const reason = body?.error?.message ?? text.slice(0, 200);
      throw new Error(`${method} ${path} answered ${response.status}: ${reason}`);
    }
    return { response, body };
  };
  return {
    request,
    get: async (path) => (await request('GET', path)).body,
    post: async (path, payload) => (await request('POST', path, payload)).body,
  };
}

/** A list route's items, whether it answers with an array or wraps it ({items: […]}, {projects: […]}). */
function listOf(body) {
  if (Array.isArray(body)) return body;
  const list = Object.values(body ?? {}).find(Array.isArray);
  return list ?? [];
}

function delay(ms, signal) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}
