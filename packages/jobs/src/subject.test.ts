// The subject codec: what formatSubject writes, parseSubject reads back; anything else is no subject.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { formatSubject, parseSubject, type Subject, subjectOf } from './subject.js';

describe('formatSubject / parseSubject', () => {
  it('round-trips every kind', () => {
    const subjects: Subject[] = [
      { kind: 'model', id: randomUUID() },
      { kind: 'decomposition', id: randomUUID() },
      { kind: 'decomposition-shard', id: randomUUID() },
      { kind: 'sae', id: randomUUID() },
      { kind: 'evaluation', id: randomUUID() },
      { kind: 'activations', id: randomUUID() },
      { kind: 'tokenizer', id: randomUUID() },
    ];
    for (const subject of subjects) {
      expect(parseSubject(formatSubject(subject))).toEqual(subject);
    }
  });

  it('writes "<kind>:<id>", the form Job.subject has always had', () => {
    expect(formatSubject({ kind: 'model', id: 'abc' })).toBe('model:abc');
    expect(formatSubject({ kind: 'decomposition', id: 'abc' })).toBe('decomposition:abc');
  });

  it.each(['', 'model', 'model:', ':1', 'x:1', 'Model:1', 'decomposition:a:b', 'model::'])(
    'rejects %j',
    (text) => {
      expect(parseSubject(text)).toBeNull();
    },
  );
});

describe('subjectOf', () => {
  it('reads the subject off each queue’s payload', () => {
    const jobId = randomUUID();
    const projectId = randomUUID();
    const modelId = randomUUID();
    const decompositionId = randomUUID();
    expect(subjectOf('train', { jobId, projectId, modelId })).toEqual({ kind: 'model', id: modelId });
    expect(subjectOf('decompose', { jobId, projectId, decompositionId })).toEqual({
      kind: 'decomposition',
      id: decompositionId,
    });
    expect(subjectOf('decompose-shard', { jobId, projectId, decompositionId })).toEqual({
      kind: 'decomposition-shard',
      id: decompositionId,
    });
    const saeId = randomUUID();
    const evaluationId = randomUUID();
    expect(subjectOf('train-sae', { jobId, projectId, saeId })).toEqual({ kind: 'sae', id: saeId });
    expect(subjectOf('evaluate', { jobId, projectId, evaluationId })).toEqual({
      kind: 'evaluation',
      id: evaluationId,
    });
    const activationsId = randomUUID();
    expect(subjectOf('activations', { jobId, projectId, activationsId })).toEqual({
      kind: 'activations',
      id: activationsId,
    });
    const tokenizerId = randomUUID();
    expect(
      subjectOf('tokenizer-train', {
        jobId,
        projectId,
        tokenizerId,
        dataset: 'stories',
        vocab: 64,
        name: 'wp',
      }),
    ).toEqual({ kind: 'tokenizer', id: tokenizerId });
  });
});
