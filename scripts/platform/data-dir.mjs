// The data directory (default `.bilinear/` in the repository, BILINEAR_DATA_DIR overrides) holds
// everything `npm start` must find again after a restart: the Postgres cluster, Redis's append-only
// file, and the generated secrets (admin key, database and Redis passwords), each readable by the
// owner only.
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';

/**
 * Creates the directory if needed. Run as root, Postgres runs as another user who must be able to
 * pass through it to reach its cluster, hence search permission for others (but no listing).
 */
export async function prepareDataDir(dir, { runningAsRoot }) {
  const existed = await stat(dir).then(
    (info) => {
      if (!info.isDirectory()) throw new Error(`BILINEAR_DATA_DIR ${dir} exists and is not a directory`);
      return true;
    },
    () => false,
  );
  if (!existed) await mkdir(dir, { recursive: true });
  if (!existed || runningAsRoot) await chmod(dir, runningAsRoot ? 0o711 : 0o700);
}

/**
 * Reads a secret kept in the data directory, or generates and stores one (mode 600).
 * Returns {value, created}.
 */
export async function readOrCreateSecret(file, generate = () => randomToken()) {
  try {
    const value = (await readFile(file, 'utf8')).trim();
    if (!value) throw new Error(`${file} is empty: delete it to have a new secret generated`);
    await chmod(file, 0o600);
    return { value, created: false };
  } catch (error) {
    if (error.code !== 'ENOENT') throw error;
  }
  const value = generate();
  // `wx`: never overwrite a secret another launcher wrote in the meantime.
  await writeFile(file, `${value}\n`, { mode: 0o600, flag: 'wx' });
  return { value, created: true };
}

export function randomToken(bytes = 24) {
  return randomBytes(bytes).toString('base64url');
}

/** A new admin API key: recognisable prefix + 32 random bytes. */
export function generateAdminKey() {
  return `bl_admin_${randomBytes(32).toString('base64url')}`;
}
