'use client';

import Link from 'next/link';
import { usePathname, useRouter } from 'next/navigation';

const SECTIONS = [
  { path: 'models', label: 'Models' },
  { path: 'corpora', label: 'Corpora & tokenizers' },
  { path: 'compare', label: 'Compare' },
  { path: 'jobs', label: 'Jobs & workers' },
  { path: 'settings', label: 'Members & keys' },
];

/** The project switcher and the project's sections; the current one is marked for screen readers too. */
export function ProjectNav({
  projectId,
  role,
  projects,
}: {
  projectId: string;
  role: string;
  projects: { id: string; name: string }[];
}) {
  const pathname = usePathname();
  const router = useRouter();
  const base = `/projects/${projectId}`;
  return (
    <div className="project-bar">
      <label className="row">
        <span className="muted">Project</span>
        <select
          aria-label="Switch project"
          value={projectId}
          onChange={(event) => router.push(`/projects/${event.target.value}/models`)}
        >
          {projects.map((project) => (
            <option key={project.id} value={project.id}>
              {project.name}
            </option>
          ))}
        </select>
      </label>
      <nav aria-label="Project sections">
        {SECTIONS.map((section) => {
          const href = `${base}/${section.path}`;
          const current = pathname === href || pathname.startsWith(`${href}/`);
          return (
            <Link key={section.path} href={href} aria-current={current ? 'page' : undefined}>
              {section.label}
            </Link>
          );
        })}
      </nav>
      <span className="top-bar-spacer" />
      <span className="badge" data-testid="project-role">
        {role}
      </span>
      <Link href="/projects">All projects</Link>
    </div>
  );
}
