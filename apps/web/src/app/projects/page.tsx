import type { Metadata } from 'next';
import Link from 'next/link';
import { CreateProjectForm } from '@/components/create-project-form';
import { dateTime } from '@/lib/format';
import { platform } from '@/lib/platform';
import { requireSessionKey } from '@/lib/session';

export const metadata: Metadata = { title: 'Projects' };

export default async function ProjectsPage() {
  await requireSessionKey();
  const projects = await platform.projects();
  return (
    <main className="page">
      <h1>Projects</h1>
      <p className="muted">Team workspaces: each has its members, API keys, models and jobs.</p>
      {projects.length === 0 ? (
        <div className="empty">You are not a member of any project yet. Create one below.</div>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Your role</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {projects.map((project) => (
              <tr key={project.id}>
                <td>
                  <Link href={`/projects/${project.id}/models`}>{project.name}</Link>
                </td>
                <td>
                  <span className="badge">{project.role}</span>
                </td>
                <td>{dateTime(project.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>New project</h2>
      <CreateProjectForm />
    </main>
  );
}
