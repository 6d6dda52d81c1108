// Links to take a decomposition into a notebook: its tables as CSV (built by the dashboard's
// tables route) and each output's eigenvectors as .npy or JSON, in pixel or hidden space (the API's
// own files, through the read-only pass-through).

interface Output {
  index: number;
  label: string;
}

export function DecompositionDownloads({
  decompositionId,
  outputs,
  hasTruncation,
}: {
  decompositionId: string;
  outputs: Output[];
  hasTruncation: boolean;
}) {
  const id = encodeURIComponent(decompositionId);
  const short = decompositionId.slice(0, 8);
  const eigenvectors = (index: number, space: 'input' | 'model', format: 'npy' | 'json') => (
    <a
      href={`/api/platform/decompositions/${id}/outputs/${index}/eigenvectors?space=${space}&format=${format}`}
      download={`decomposition-${short}-output-${index}-${space}.${format}`}
      data-testid={`download-eigenvectors-${index}-${space}-${format}`}
    >
      {format}
    </a>
  );
  return (
    <section className="panel" style={{ marginTop: '1rem' }} aria-labelledby="downloads-heading">
      <h2 id="downloads-heading" style={{ marginTop: 0 }}>
        Downloads
      </h2>
      <p className="row">
        <a href={`/api/decompositions/${id}/tables/spectra`} download data-testid="download-spectra-csv">
          Spectra (CSV: output, rank, rank / d, eigenvalue)
        </a>
        {hasTruncation ? (
          <a
            href={`/api/decompositions/${id}/tables/truncation`}
            download
            data-testid="download-truncation-csv"
          >
            Truncation table (CSV)
          </a>
        ) : (
          <span className="muted">No truncation table (not computed).</span>
        )}
      </p>
      <details>
        <summary>Eigenvectors per output (top-k of each sign; .npy opens with numpy.load)</summary>
        <table>
          <thead>
            <tr>
              <th scope="col">Output</th>
              <th scope="col">Input space (pixels)</th>
              <th scope="col">Model space (hidden, length d)</th>
            </tr>
          </thead>
          <tbody>
            {outputs.map((output) => (
              <tr key={output.index}>
                <td>{output.label}</td>
                <td>
                  {eigenvectors(output.index, 'input', 'npy')} · {eigenvectors(output.index, 'input', 'json')}
                </td>
                <td>
                  {eigenvectors(output.index, 'model', 'npy')} · {eigenvectors(output.index, 'model', 'json')}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </section>
  );
}
