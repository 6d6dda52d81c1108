// API keys: `bl_` + 32 random base62 characters. Only the SHA-256 is stored; the prefix lets
// people tell their keys apart.
import { createHash, randomBytes } from 'node:crypto';

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const KEY_BODY_LENGTH = 32;
export const KEY_PREFIX_LENGTH = 10;

export function generateApiKey(): string {
  let body = '';
  while (body.length < KEY_BODY_LENGTH) {
    for (const byte of randomBytes(48)) {
      // 248 = 4 × 62: bytes above it are skipped so every character is equally likely.
      if (byte < 248 && body.length < KEY_BODY_LENGTH) body += BASE62[byte % 62];
    }
  }
  return `bl_${body}`;
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export function apiKeyPrefix(key: string): string {
  return key.slice(0, KEY_PREFIX_LENGTH);
}

/** The stored form of a new key, for ApiKey rows. */
export function newApiKeyRecord(key = generateApiKey()) {
  return { key, hash: hashApiKey(key), prefix: apiKeyPrefix(key) };
}
