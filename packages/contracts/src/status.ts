import { z } from 'zod';

/** The life of every job-backed resource (training runs, decompositions, jobs themselves). */
export const JOB_STATUSES = ['queued', 'running', 'completed', 'failed', 'cancelled'] as const;
export const JobStatusSchema = z.enum(JOB_STATUSES);
export type JobStatus = z.infer<typeof JobStatusSchema>;

/** Statuses after which nothing more happens to a job unless it is retried. */
export const FINISHED_STATUSES: readonly JobStatus[] = ['completed', 'failed', 'cancelled'];

/** Project roles, strongest first: owners manage members and keys, members run work, viewers read. */
export const ROLES = ['owner', 'member', 'viewer'] as const;
export const RoleSchema = z.enum(ROLES);
export type Role = z.infer<typeof RoleSchema>;
