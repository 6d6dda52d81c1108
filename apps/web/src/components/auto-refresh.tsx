'use client';

import { useRouter } from 'next/navigation';
import { useEffect, useState } from 'react';

/** Re-renders the server component every few seconds (paused while the tab is hidden), with a toggle. */
export function AutoRefresh({ everyMs }: { everyMs: number }) {
  const router = useRouter();
  const [on, setOn] = useState(true);
  useEffect(() => {
    if (!on) return;
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') router.refresh();
    }, everyMs);
    return () => clearInterval(timer);
  }, [on, everyMs, router]);
  return (
    <label className="row">
      <input type="checkbox" checked={on} onChange={(event) => setOn(event.target.checked)} /> Refresh every{' '}
      {Math.round(everyMs / 1000)} s
    </label>
  );
}
