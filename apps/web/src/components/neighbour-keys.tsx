'use client';

import { useRouter } from 'next/navigation';
import { useEffect } from 'react';

/**
 * ← and → step to the previous and next output (token or feature) of an explorer page, unless the
 * focus is in a field that reads the arrow keys itself, or a modifier key is held (browser history).
 */
export function NeighbourKeys({ previous, next }: { previous: string | null; next: string | null }) {
  const router = useRouter();
  useEffect(() => {
    function onKey(event: KeyboardEvent) {
      if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey || event.defaultPrevented) return;
      const target = event.target as HTMLElement | null;
      if (target?.closest('input, textarea, select, [contenteditable="true"]')) return;
      const href = event.key === 'ArrowLeft' ? previous : event.key === 'ArrowRight' ? next : null;
      if (href === null) return;
      event.preventDefault();
      router.push(href);
    }
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [previous, next, router]);
  return null;
}
