// What a job produces, as Job.subject stores it: "model:<id>" (a training job's model),
// "decomposition:<id>", or "decomposition-shard:<id>" (a job taking shards of a decomposition whose
// status its decompose job owns), "sae:<id>" (a train-sae job's SparseAutoencoder),
// "evaluation:<id>" (an evaluate job's Evaluation) or "activations:<id>" (an activations job's
// ActivationsRun). The string is built and read only here, and each queue of the catalog says which
// subject its payload names, so no caller branches on the queue name.
import type { JobPayload, QueueName } from '@bilinear-lab/contracts';

export type Subject =
  | { kind: 'model'; id: string }
  | { kind: 'decomposition'; id: string }
  | { kind: 'decomposition-shard'; id: string }
  | { kind: 'sae'; id: string }
  | { kind: 'evaluation'; id: string }
  | { kind: 'activations'; id: string }
  | { kind: 'tokenizer'; id: string };

const SUBJECT_KINDS: readonly Subject['kind'][] = [
  'model',
  'decomposition',
  'decomposition-shard',
  'sae',
  'evaluation',
  'activations',
  'tokenizer',
];

export function formatSubject(subject: Subject): string {
  return `${subject.kind}:${subject.id}`;
}

/** Reads Job.subject: null unless it is "<kind>:<id>" with a known kind and one non-empty id. */
export function parseSubject(text: string): Subject | null {
  const [kind, id, ...rest] = text.split(':');
  if (id === undefined || id === '' || rest.length > 0) return null;
  const known = SUBJECT_KINDS.find((name) => name === kind);
  return known === undefined ? null : { kind: known, id };
}

/** The subject each queue's job produces, read off its payload: one entry per catalog queue. */
export const jobSubjects: { readonly [Q in QueueName]: (payload: JobPayload<Q>) => Subject } = {
  train: (payload) => ({ kind: 'model', id: payload.modelId }),
  decompose: (payload) => ({ kind: 'decomposition', id: payload.decompositionId }),
  'decompose-shard': (payload) => ({ kind: 'decomposition-shard', id: payload.decompositionId }),
  'train-sae': (payload) => ({ kind: 'sae', id: payload.saeId }),
  evaluate: (payload) => ({ kind: 'evaluation', id: payload.evaluationId }),
  activations: (payload) => ({ kind: 'activations', id: payload.activationsId }),
  'tokenizer-train': (payload) => ({ kind: 'tokenizer', id: payload.tokenizerId }),
};

export function subjectOf<Q extends QueueName>(queue: Q, payload: JobPayload<Q>): Subject {
  return jobSubjects[queue](payload);
}
