import Link from 'next/link';

export default function NotFound() {
  return (
    <main className="page narrow">
      <h1>Not found</h1>
      <p>
        There is nothing here — or it belongs to a project you are not a member of (the platform answers both
        the same way).
      </p>
      <p>
        <Link href="/">Back to your projects</Link>
      </p>
    </main>
  );
}
