// Who a key belongs to and what role its user has in a project, each lookup reused for a few
// seconds (keys and memberships change rarely; every request needs both). Changes made through this
// replica forget the cached answers at once.
import type { Role } from '@bilinear-lab/contracts';
import type { Database } from '@bilinear-lab/db';
import { forbidden, notFound } from '../errors.js';
import { hashApiKey } from './api-keys.js';
import { once } from './single-flight.js';

export interface Principal {
  userId: string;
  userName: string;
  isAdmin: boolean;
  keyId: string;
  keyName: string;
  keyPrefix: string;
  /** Set when the key opens only this project. */
  keyProjectId: string | null;
}

const ROLE_RANK: Record<Role, number> = { viewer: 1, member: 2, owner: 3 };

/** What each kind of action needs. */
export const NEEDS = { read: 'viewer', run: 'member', manage: 'owner' } as const satisfies Record<
  string,
  Role
>;
export type Need = keyof typeof NEEDS;

const ACTION_WORDS: Record<Need, string> = {
  read: 'reading',
  run: 'running work (train, import, upload, decompose, cancel, retry)',
  manage: 'managing members and keys',
};

/** lastUsedAt is written at most this often per key. */
const LAST_USED_INTERVAL_MS = 60_000;
const MAX_CACHED = 10_000;

interface Cached<T> {
  value: T;
  expiresAt: number;
}

export class AccessControl {
  private readonly keys = new Map<string, Cached<Principal | null>>();
  private readonly roles = new Map<string, Cached<Role | null>>();
  private readonly lastUsedWrites = new Map<string, number>();
  // Lookups in flight: a burst of requests with a new key (or for a new project) waits on one query.
  private readonly pendingKeys = new Map<string, Promise<Principal | null>>();
  private readonly pendingRoles = new Map<string, Promise<Role | null>>();
  /** Bumped by every forget: an answer looked up before a change is not cached after it. */
  private generation = 0;

  constructor(
    private readonly db: Database,
    private readonly cacheMs: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** The principal of a presented key; null when it is unknown or revoked. */
  async authenticate(key: string): Promise<Principal | null> {
    const hash = hashApiKey(key);
    const now = Date.now();
    const cached = this.keys.get(hash);
    const principal =
      cached && cached.expiresAt > now
        ? cached.value
        : await once(this.pendingKeys, hash, async () => {
            const generation = this.generation;
            const found = await this.lookUpKey(hash);
            if (generation === this.generation) remember(this.keys, hash, found, Date.now() + this.cacheMs);
            return found;
          });
    if (principal) this.touch(principal.keyId, now);
    return principal;
  }

  /** The caller's role in a project, or null when the project is closed to them (or absent). */
  async roleIn(principal: Principal, projectId: string): Promise<Role | null> {
    if (principal.keyProjectId !== null && principal.keyProjectId !== projectId) return null;
    const cacheKey = `${principal.userId}:${projectId}`;
    const now = Date.now();
    const cached = this.roles.get(cacheKey);
    if (cached && cached.expiresAt > now) return cached.value;
    return once(this.pendingRoles, cacheKey, async () => {
      const generation = this.generation;
      const role = await this.lookUpRole(principal, projectId);
      if (generation === this.generation) remember(this.roles, cacheKey, role, Date.now() + this.cacheMs);
      return role;
    });
  }

  private async lookUpKey(hash: string): Promise<Principal | null> {
    const row = await this.db.apiKey.findUnique({ where: { hash }, include: { user: true } });
    if (row === null || row.revokedAt !== null) return null;
    return {
      userId: row.userId,
      userName: row.user.name,
      isAdmin: row.user.isAdmin,
      keyId: row.id,
      keyName: row.name,
      keyPrefix: row.prefix,
      keyProjectId: row.projectId,
    };
  }

  private async lookUpRole(principal: Principal, projectId: string): Promise<Role | null> {
    const membership = await this.db.membership.findUnique({
      where: { projectId_userId: { projectId, userId: principal.userId } },
      select: { role: true },
    });
    if (membership !== null) return membership.role;
    // Platform administrators act as owners of every project.
    if (!principal.isAdmin) return null;
    return (await this.db.project.count({ where: { id: projectId } })) > 0 ? 'owner' : null;
  }

  /**
   * The caller's role in the project holding a resource, checked against what the action needs.
   * A project closed to the caller answers 404 as if the resource did not exist (never its data);
   * a role too weak answers 403.
   */
  async require(
    principal: Principal,
    projectId: string,
    need: Need,
    resource: { what: string; id: string },
  ): Promise<Role> {
    const role = await this.roleIn(principal, projectId);
    if (role === null) throw notFound(resource.what, resource.id);
    if (ROLE_RANK[role] < ROLE_RANK[NEEDS[need]]) {
      throw forbidden(
        `your role in project ${projectId} is ${role}; ${ACTION_WORDS[need]} needs ${NEEDS[need]}${need === 'manage' ? '' : ' or higher'}`,
      );
    }
    return role;
  }

  forgetKey(hash: string): void {
    this.generation += 1;
    this.keys.delete(hash);
    this.pendingKeys.delete(hash);
  }

  forgetRole(userId: string, projectId: string): void {
    this.generation += 1;
    this.roles.delete(`${userId}:${projectId}`);
    this.pendingRoles.delete(`${userId}:${projectId}`);
  }

  /** Records use of a key at most once a minute per key (and per replica, guarded in SQL too). */
  private touch(keyId: string, now: number): void {
    const last = this.lastUsedWrites.get(keyId);
    if (last !== undefined && now - last < LAST_USED_INTERVAL_MS) return;
    this.lastUsedWrites.set(keyId, now);
    if (this.lastUsedWrites.size > MAX_CACHED) this.lastUsedWrites.clear();
    const threshold = new Date(now - LAST_USED_INTERVAL_MS);
    this.db.apiKey
      .updateMany({
        where: { id: keyId, OR: [{ lastUsedAt: null }, { lastUsedAt: { lt: threshold } }] },
        data: { lastUsedAt: new Date(now) },
      })
      .catch(this.onError);
  }
}

function remember<T>(map: Map<string, Cached<T>>, key: string, value: T, expiresAt: number): void {
  if (map.size >= MAX_CACHED) map.clear();
  map.set(key, { value, expiresAt });
}
