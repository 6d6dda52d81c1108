'use client';

import { useEffect, useRef } from 'react';

export type JobEventData =
  | { type: 'state'; status: string; attempt?: number; workerId?: string; error?: string }
  | { type: 'progress'; progress: number; message?: string }
  | {
      type: 'metrics';
      /** step and epoch: a classifier's; step and evaluation (held-out loss in testLoss): a language model's. */
      kind: 'step' | 'epoch' | 'evaluation';
      epoch: number;
      step: number;
      totalSteps: number;
      loss: number;
      learningRate: number;
      trainAccuracy?: number | null;
      testAccuracy?: number | null;
      testLoss?: number | null;
      tokensPerSecond?: number;
    }
  | { type: 'log'; level: string; message: string };

const EVENT_TYPES = ['state', 'progress', 'metrics', 'log'] as const;
const FINAL_STATUSES = new Set(['completed', 'failed', 'cancelled']);

/**
 * Follows a job's server-sent events through the dashboard's pass-through (the key stays on the
 * server). EventSource reconnects by itself and sends Last-Event-ID, so nothing is missed or doubled.
 */
export function useJobEvents(
  jobId: string | null,
  enabled: boolean,
  onEvent: (event: JobEventData, at: Date) => void,
) {
  const handler = useRef(onEvent);
  handler.current = onEvent;
  useEffect(() => {
    if (!jobId || !enabled) return;
    const source = new EventSource(`/api/platform/jobs/${encodeURIComponent(jobId)}/events`);
    const deliver = (event: JobEventData, id: string) => {
      // The API ends the stream after a final state; without closing here EventSource would reconnect.
      if (event.type === 'state' && FINAL_STATUSES.has(event.status)) source.close();
      handler.current(event, timeOf(id));
    };
    const listener = (type: string) => (message: MessageEvent<string>) => {
      let data: Record<string, unknown>;
      try {
        data = JSON.parse(message.data) as Record<string, unknown>;
      } catch {
        return; // A comment or keep-alive line: nothing to show.
      }
      deliver({ type, ...data } as JobEventData, message.lastEventId);
    };
    const listeners = EVENT_TYPES.map((type) => [type, listener(type)] as const);
    for (const [type, fn] of listeners) source.addEventListener(type, fn as EventListener);
    // Servers that send unnamed events carry the type in the data.
    source.onmessage = (message) => {
      try {
        const data = JSON.parse(message.data) as JobEventData;
        if (data && typeof data === 'object' && 'type' in data) deliver(data, message.lastEventId);
      } catch {
        // ignore
      }
    };
    return () => source.close();
  }, [jobId, enabled]);
}

/** When a logged event happened: a Redis stream id starts with its milliseconds; others are now. */
export function timeOf(eventId: string): Date {
  const ms = Number(eventId.split('-')[0]);
  return eventId !== '' && Number.isFinite(ms) && ms > 0 ? new Date(ms) : new Date();
}
