'use client';

import Link from 'next/link';
import { useMemo, useState } from 'react';
import { dateTime, percent } from '@/lib/format';
import type { Model } from '@/lib/types';
import { StatusBadge } from './status-badge';

type SortKey = 'name' | 'dataset' | 'width' | 'status' | 'testAccuracy' | 'backend' | 'createdAt';

const COLUMNS: { key: SortKey; label: string; numeric?: boolean }[] = [
  { key: 'name', label: 'Name' },
  { key: 'dataset', label: 'Dataset' },
  { key: 'width', label: 'Width d', numeric: true },
  { key: 'status', label: 'Status' },
  { key: 'testAccuracy', label: 'Test accuracy', numeric: true },
  { key: 'backend', label: 'Backend' },
  { key: 'createdAt', label: 'Created' },
];

/** The hidden width d: a trained model's hiddenDim, an imported one's config as its file names it. */
function widthOf(model: Model): number | null {
  const config = model.config as Record<string, unknown>;
  for (const key of ['hiddenDim', 'd_hidden', 'hidden_dim', 'd_model']) {
    if (typeof config[key] === 'number') return config[key] as number;
  }
  return null;
}

function sortValue(model: Model, key: SortKey): string | number {
  if (key === 'width') return widthOf(model) ?? -1;
  if (key === 'testAccuracy') return model.metrics?.testAccuracy ?? -1;
  if (key === 'dataset') return model.dataset ?? (model.source === 'imported' ? 'imported' : '');
  return (model[key] ?? '') as string;
}

/** The models of a project with a text filter, status and source filters, and sortable columns. */
export function ModelsTable({ projectId, models }: { projectId: string; models: Model[] }) {
  const [query, setQuery] = useState('');
  const [status, setStatus] = useState('all');
  const [source, setSource] = useState('all');
  const [sort, setSort] = useState<{ key: SortKey; descending: boolean }>({
    key: 'createdAt',
    descending: true,
  });

  const rows = useMemo(() => {
    const needle = query.trim().toLowerCase();
    const filtered = models.filter(
      (model) =>
        (status === 'all' || model.status === status) &&
        (source === 'all' || model.source === source) &&
        (needle === '' || model.name.toLowerCase().includes(needle)),
    );
    const direction = sort.descending ? -1 : 1;
    return filtered.sort((a, b) => {
      const x = sortValue(a, sort.key);
      const y = sortValue(b, sort.key);
      return (x < y ? -1 : x > y ? 1 : 0) * direction;
    });
  }, [models, query, status, source, sort]);

  if (models.length === 0) {
    return (
      <div className="empty">
        No models yet. Train one on the bundled MNIST digits, or import a checkpoint.
      </div>
    );
  }
  return (
    <>
      <div className="row" style={{ margin: '0.75rem 0' }}>
        <label htmlFor="model-filter">Filter</label>
        <input
          id="model-filter"
          type="search"
          placeholder="name contains…"
          value={query}
          onChange={(event) => setQuery(event.target.value)}
        />
        <label htmlFor="model-status">Status</label>
        <select id="model-status" value={status} onChange={(event) => setStatus(event.target.value)}>
          {['all', 'queued', 'running', 'completed', 'failed', 'cancelled'].map((value) => (
            <option key={value}>{value}</option>
          ))}
        </select>
        <label htmlFor="model-source">Source</label>
        <select id="model-source" value={source} onChange={(event) => setSource(event.target.value)}>
          {['all', 'trained', 'imported'].map((value) => (
            <option key={value}>{value}</option>
          ))}
        </select>
        <span className="muted">
          {rows.length} of {models.length}
        </span>
      </div>
      <table data-testid="models-table">
        <thead>
          <tr>
            {COLUMNS.map((column) => {
              const active = sort.key === column.key;
              return (
                <th
                  key={column.key}
                  scope="col"
                  className={column.numeric ? 'num' : undefined}
                  aria-sort={active ? (sort.descending ? 'descending' : 'ascending') : 'none'}
                >
                  <button
                    type="button"
                    onClick={() =>
                      setSort({
                        key: column.key,
                        descending: active ? !sort.descending : column.key !== 'name',
                      })
                    }
                  >
                    {column.label}
                    {active ? (sort.descending ? ' ↓' : ' ↑') : ''}
                  </button>
                </th>
              );
            })}
            <th scope="col">Decompositions</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((model) => (
            <tr key={model.id}>
              <td>
                <Link href={`/projects/${projectId}/models/${model.id}`}>{model.name}</Link>
              </td>
              <td>{model.dataset ?? (model.source === 'imported' ? 'imported checkpoint' : '—')}</td>
              <td className="num">{widthOf(model) ?? '—'}</td>
              <td>
                <StatusBadge status={model.status} />
              </td>
              <td className="num">{percent(model.metrics?.testAccuracy)}</td>
              <td>{model.backend ?? '—'}</td>
              <td>{dateTime(model.createdAt)}</td>
              <td>
                <Link href={`/projects/${projectId}/models/${model.id}#run-decompositions`}>
                  decompositions
                </Link>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
