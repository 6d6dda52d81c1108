import { z } from 'zod';
import { ApiKeySchema, MemberSchema, ProjectSchema } from './resources.js';

// Who is calling and what they may open: the caller's identity, keys shown once, members added.

export const MeSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  isAdmin: z.boolean(),
  /** The key this request was made with. */
  key: z.object({
    id: z.uuid(),
    name: z.string(),
    prefix: z.string(),
    /** Set when the key only opens this one project. */
    projectId: z.uuid().nullable(),
  }),
});
export type MeView = z.infer<typeof MeSchema>;

/** A new key: the only response that ever contains the key itself. */
export const CreatedApiKeySchema = ApiKeySchema.extend({
  projectId: z.uuid().nullable(),
  /** `bl_` + 32 base62 characters; store it now, it is not shown again. */
  key: z.string(),
});
export type CreatedApiKeyView = z.infer<typeof CreatedApiKeySchema>;

/** A member added (or their role changed); a user created on the way gets their first key, once. */
export const AddedMemberSchema = MemberSchema.extend({
  createdUser: z.boolean(),
  apiKey: z.string().nullable(),
});
export type AddedMemberView = z.infer<typeof AddedMemberSchema>;

export const CreatedProjectSchema = ProjectSchema;

export const ProjectParamsSchema = z.object({ projectId: z.uuid() });
export const MemberParamsSchema = z.object({ projectId: z.uuid(), userId: z.uuid() });
export const KeyParamsSchema = z.object({ projectId: z.uuid(), keyId: z.uuid() });
export const KeyIdParamsSchema = z.object({ keyId: z.uuid() });

/** One of the caller's own keys: project-bound (projectId) or opening all their projects (null). */
export const OwnApiKeySchema = ApiKeySchema.extend({ projectId: z.uuid().nullable() });
export type OwnApiKeyView = z.infer<typeof OwnApiKeySchema>;
