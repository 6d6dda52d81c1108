import { notFound } from 'next/navigation';
import { ProjectNav } from '@/components/project-nav';
import { platform } from '@/lib/platform';
import { requireSessionKey } from '@/lib/session';

export default async function ProjectLayout({ children, params }: LayoutProps<'/projects/[projectId]'>) {
  await requireSessionKey();
  const { projectId } = await params;
  const projects = await platform.projects();
  const project = projects.find((candidate) => candidate.id === projectId);
  if (!project) notFound();
  return (
    <>
      <ProjectNav
        projectId={project.id}
        role={project.role}
        projects={projects.map(({ id, name }) => ({ id, name }))}
      />
      {children}
    </>
  );
}
