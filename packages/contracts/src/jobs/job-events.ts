import { z } from 'zod';
import { JobStatusSchema } from '../status.js';

// What a job tells its watchers while it runs. Workers append these to a Redis stream per job; any
// API replica reads that stream to serve `GET /api/v1/jobs/:id/events` as server-sent events.

export const JobEventSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('state'),
    status: JobStatusSchema,
    attempt: z.number().int().optional(),
    workerId: z.string().optional(),
    error: z.string().optional(),
  }),
  z.object({
    type: z.literal('progress'),
    /** 0..1 */
    progress: z.number(),
    message: z.string().optional(),
  }),
  z.object({
    type: z.literal('metrics'),
    /** step and epoch: a classifier's; step and evaluation (held-out loss in testLoss): a language model's. */
    kind: z.enum(['step', 'epoch', 'evaluation']),
    epoch: z.number().int(),
    step: z.number().int(),
    totalSteps: z.number().int(),
    loss: z.number(),
    learningRate: z.number(),
    trainAccuracy: z.number().nullable().optional(),
    testAccuracy: z.number().nullable().optional(),
    testLoss: z.number().nullable().optional(),
    samplesPerSecond: z.number().optional(),
    /** A language model's step: tokens (windows × context) per second. */
    tokensPerSecond: z.number().optional(),
  }),
  z.object({ type: z.literal('log'), level: z.enum(['info', 'warn', 'error']), message: z.string() }),
]);
export type JobEvent = z.infer<typeof JobEventSchema>;
