export { machineLine } from './machine.js';
export {
  type AbsentReference,
  describeReference,
  ENVIRONMENT_NOTE,
  missingReferenceMessage,
  type PythonReference,
  probePython,
  type ReferenceModule,
  type ReferenceScript,
  referenceEnvironment,
  referenceScriptPath,
  runReference,
  SLOWING_VARIABLES,
} from './python-reference.js';
export { type BenchReport, jsonLine, renderReport, roundTo } from './report.js';
export { float64Bytes, withScratchDirectory } from './scratch.js';
export { type Align, formatMilliseconds, formatRatio, renderTable } from './table.js';
export {
  median,
  type RepeatOptions,
  type Timed,
  timeRepeats,
  UNSTEADY_SPREAD,
  unsteadiness,
  unsteadyWarning,
} from './timing.js';
