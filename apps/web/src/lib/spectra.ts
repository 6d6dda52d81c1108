// Spectra of models of different widths on one chart (the Compare page).

export type RankAxis = 'fraction' | 'rank';

/**
 * Every eigenvalue of each model on one x axis. By rank, a wider model's spectrum runs on past a
 * narrower one's; by rank / d each model's spectrum spans (0, 1] — its positive head on the left and
 * its negative tail on the right, whatever its width d — sampled where the widest model has a rank.
 */
export function overlaidSpectra(spectra: (number[] | undefined)[], axis: RankAxis) {
  const widest = Math.max(0, ...spectra.map((eigenvalues) => eigenvalues?.length ?? 0));
  const x = Array.from({ length: widest }, (_, i) => (axis === 'rank' ? i + 1 : (i + 1) / widest));
  const values = spectra.map((eigenvalues) =>
    x.map((at) => {
      if (!eigenvalues || eigenvalues.length === 0) return null;
      const rank = axis === 'rank' ? at : Math.max(1, Math.ceil(at * eigenvalues.length - 1e-9));
      return eigenvalues[rank - 1] ?? null;
    }),
  );
  return { x, values };
}
