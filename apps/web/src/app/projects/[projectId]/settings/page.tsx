import type { Metadata } from 'next';
import {
  AddMemberForm,
  CreateKeyForm,
  RemoveMemberButton,
  RevokeKeyButton,
} from '@/components/settings-forms';
import { dateTime } from '@/lib/format';
import { platform, projectWithRole } from '@/lib/platform';
import type { ApiKey, Member } from '@/lib/types';

export const metadata: Metadata = { title: 'Members & keys' };

function when(value: string | null): string {
  return dateTime(value);
}

export default async function SettingsPage({ params }: PageProps<'/projects/[projectId]/settings'>) {
  const { projectId } = await params;
  const project = await projectWithRole(projectId);
  const isOwner = project?.role === 'owner';
  // Viewers and members may not be allowed to list keys; show what the API lets us see.
  const [members, keys] = await Promise.all([
    platform.members(projectId).catch(() => [] as Member[]),
    platform.keys(projectId).catch(() => null as ApiKey[] | null),
  ]);
  return (
    <main className="page">
      <h1>Members & API keys</h1>
      <section aria-labelledby="members-heading">
        <h2 id="members-heading">Members</h2>
        <p className="muted">Owners manage members and keys, members run work, viewers read.</p>
        <table>
          <thead>
            <tr>
              <th scope="col">User</th>
              <th scope="col">Role</th>
              <th scope="col">Since</th>
              {isOwner ? <th scope="col">Actions</th> : null}
            </tr>
          </thead>
          <tbody>
            {members.map((member) => (
              <tr key={member.userId}>
                <td>{member.name}</td>
                <td>
                  <span className="badge">{member.role}</span>
                </td>
                <td>{when(member.createdAt)}</td>
                {isOwner ? (
                  <td>
                    <RemoveMemberButton projectId={projectId} userId={member.userId} name={member.name} />
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
        {isOwner ? <AddMemberForm projectId={projectId} /> : null}
      </section>
      <section aria-labelledby="keys-heading">
        <h2 id="keys-heading">API keys</h2>
        {keys === null ? (
          <p className="muted">Only the project's owners see its keys.</p>
        ) : keys.length === 0 ? (
          <div className="empty">No keys yet.</div>
        ) : (
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Key</th>
                <th scope="col">User</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">Status</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {keys.map((key) => (
                <tr key={key.id}>
                  <td>{key.name}</td>
                  <td className="mono">{key.prefix}…</td>
                  <td>{key.userName}</td>
                  <td>{when(key.createdAt)}</td>
                  <td>{when(key.lastUsedAt)}</td>
                  <td>{key.revokedAt ? <span className="badge failed">revoked</span> : 'active'}</td>
                  <td>
                    {key.revokedAt ? null : (
                      <RevokeKeyButton projectId={projectId} keyId={key.id} name={key.name} />
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <CreateKeyForm projectId={projectId} />
      </section>
    </main>
  );
}
