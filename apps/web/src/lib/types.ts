// The API's answers under the names the dashboard's components use: the contracts' response types,
// re-exported as types only, so no zod reaches the browser. Nothing is declared here; the typed
// client (./platform.ts) answers with these same types.
export type {
  ApiKeyView as ApiKey,
  DatasetView as Dataset,
  DecompositionSummaryView as DecompositionSummary,
  DecompositionView as Decomposition,
  JobView as Job,
  MemberView as Member,
  ModelView as Model,
  SpectrumSummaryView as SpectrumSummary,
  TrainingMetricView as TrainingMetric,
  WorkerView as Worker,
} from '@bilinear-lab/contracts';
