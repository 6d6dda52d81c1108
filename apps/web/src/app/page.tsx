import { redirect } from 'next/navigation';
import { platform } from '@/lib/platform';
import { requireSessionKey } from '@/lib/session';

// Home: straight to the first project's models, or to the project list when there is none.
export default async function HomePage() {
  await requireSessionKey();
  const projects = await platform.projects();
  const first = projects[0];
  redirect(first ? `/projects/${first.id}/models` : '/projects');
}
