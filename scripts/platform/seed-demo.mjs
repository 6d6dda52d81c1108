// The demo a first `npm start` leaves behind: a project "demo" with the bundled MNIST model trained
// on the default config, then decomposed (top 16 eigenvectors per class). Everything goes through
// the public API, as a user's script would.
//
// Idempotent across restarts: when "demo" exists it is not seeded again; an earlier start that was
// stopped half way (training still queued, or the decomposition never requested) is carried on.

export const DEMO_PROJECT = 'demo';
export const DEMO_MODEL = 'mnist-demo';
const DEMO_DECOMPOSITION = { topK: 16 };
const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

export async function seedDemo({ apiUrl, adminKey, log, signal }) {
  const api = apiClient(apiUrl, adminKey, signal);
  const existing = listOf(await api.get('/api/v1/projects')).find((project) => project.name === DEMO_PROJECT);

  let modelId;
  let trainJobId;
  if (existing) {
    const model = listOf(await api.get(`/api/v1/projects/${existing.id}/models`)).find(
      (candidate) => candidate.name === DEMO_MODEL,
    );
    if (!model) {
      log.info(`project "${DEMO_PROJECT}" exists already (${existing.id}); not seeding`);
      return;
    }
    if (model.status === 'failed' || model.status === 'cancelled') {
      log.info(`the demo model's training ${model.status} earlier (job ${model.jobId}); not seeding again`);
      return;
    }
    modelId = model.id;
    trainJobId = model.status === 'completed' ? null : model.jobId;
  } else {
    const project = await api.post('/api/v1/projects', { name: DEMO_PROJECT });
    log.info(`created project "${DEMO_PROJECT}" (${project.id})`);
    const trained = await api.post(`/api/v1/projects/${project.id}/models/train`, {
      dataset: 'mnist',
      name: DEMO_MODEL,
      config: {},
    });
    log.info(
      `training ${DEMO_MODEL} on the bundled MNIST digits (default config): model ${trained.modelId}, job ${trained.jobId}`,
    );
    modelId = trained.modelId;
    trainJobId = trained.jobId;
  }

  if (trainJobId) {
    const job = await waitForJob(api, trainJobId, `training ${DEMO_MODEL}`, log, signal);
    if (job.status !== 'completed') return;
    const model = await api.get(`/api/v1/models/${modelId}`);
    const accuracy = model.metrics?.testAccuracy;
    log.info(
      `trained ${DEMO_MODEL}${typeof accuracy === 'number' ? `: test accuracy ${(accuracy * 100).toFixed(2)} %` : ''}`,
    );
  }

  const { response, body } = await api.request(
    'POST',
    `/api/v1/models/${modelId}/decompositions`,
    DEMO_DECOMPOSITION,
  );
  if (response.status === 200) {
    log.info(`the demo is in place already: decomposition ${body.decompositionId}`);
    return;
  }
  log.info(
    `decomposing ${DEMO_MODEL} (top ${DEMO_DECOMPOSITION.topK}): decomposition ${body.decompositionId}, job ${body.jobId}`,
  );
  const job = await waitForJob(api, body.jobId, `decomposing ${DEMO_MODEL}`, log, signal);
  if (job.status === 'completed') {
    log.info(`demo ready: GET ${apiUrl}/api/v1/decompositions/${body.decompositionId}`);
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
