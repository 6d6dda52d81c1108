// The first start creates the platform administrator: with BILINEAR_ADMIN_KEY as its key when set,
// else a generated key printed once (it is not stored anywhere in clear).
import type { Database } from '@bilinear-lab/db';
import { newApiKeyRecord } from './api-keys.js';

export const ADMIN_NAME = 'admin';

/** Returns the key when one was generated (the caller prints it), else null. */
export async function ensureAdmin(db: Database, adminKey: string | undefined): Promise<string | null> {
  if ((await db.user.count({ where: { isAdmin: true } })) > 0) return null;
  const record = newApiKeyRecord(adminKey);
  try {
    await db.user.create({
      data: {
        name: ADMIN_NAME,
        isAdmin: true,
        apiKeys: { create: { name: 'bootstrap', prefix: record.prefix, hash: record.hash } },
      },
    });
  } catch (error) {
    // Another replica starting at the same moment created it first.
    if ((error as { code?: string }).code === 'P2002') return null;
    throw error;
  }
  return adminKey === undefined ? record.key : null;
}
