// The one codec for the text that names a dataset. The platform stores it in Model.datasetSpec and
// the CLI takes it from --dataset and records it in model files:
//   mnist            the bundled digits
//   dataset:<uuid>   an IDX dataset uploaded to the platform (its files are artifacts in Postgres)
//   idx:<dir>        a directory of IDX files on this machine
//   toy[:<seed>]     the toy boolean task (`toy` is `toy:0`)
// Which kinds a caller accepts is its own choice, passed to parseDatasetSpec as `allow`.
import { DatasetError } from './dataset-error.js';
import { BUNDLED_MNIST_SPLIT } from './mnist/mnist-layout.js';
import { TOY_DEFAULT_SEED, TOY_MAX_SEED } from './toy/toy-seed.js';

export type DatasetSpec =
  | { kind: 'mnist' }
  | { kind: 'upload'; id: string }
  | { kind: 'idx'; dir: string }
  | { kind: 'toy'; seed: number };
export type DatasetSpecKind = DatasetSpec['kind'];
export type DatasetSpecOf<K extends DatasetSpecKind> = Extract<DatasetSpec, { kind: K }>;

/** What the platform (API and worker) trains on and stores: the bundled digits and uploads. */
export const PLATFORM_DATASET_KINDS = ['mnist', 'upload'] as const satisfies readonly DatasetSpecKind[];
export type PlatformDatasetSpec = DatasetSpecOf<(typeof PLATFORM_DATASET_KINDS)[number]>;

/** What loadDataset (and so the CLI) reads on this machine: the bundled digits, IDX directories, the toy task. */
export const LOCAL_DATASET_KINDS = ['mnist', 'idx', 'toy'] as const satisfies readonly DatasetSpecKind[];
export type LocalDatasetSpec = DatasetSpecOf<(typeof LOCAL_DATASET_KINDS)[number]>;

/** Each kind's written form and what it names, for help texts and error messages. */
export const DATASET_SPEC_FORMS: Readonly<Record<DatasetSpecKind, { form: string; description: string }>> = {
  mnist: {
    form: 'mnist',
    description: `the ${BUNDLED_MNIST_SPLIT.total} bundled digits, ${BUNDLED_MNIST_SPLIT.train} train / ${BUNDLED_MNIST_SPLIT.test} test`,
  },
  upload: { form: 'dataset:<uuid>', description: 'an IDX dataset uploaded to the platform' },
  idx: { form: 'idx:<dir>', description: 'a directory of MNIST-layout IDX files, plain or .gz' },
  toy: {
    form: 'toy[:<seed>]',
    description: `the toy boolean task, seed a whole number in 0..${TOY_MAX_SEED}, default ${TOY_DEFAULT_SEED}`,
  },
};

const PREFIXES = { upload: 'dataset:', idx: 'idx:', toy: 'toy:' } as const;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const WHOLE_NUMBER = /^\d{1,10}$/;

/** `'mnist' (…), 'idx:<dir>' (…), …`: the forms of `kinds`, each with what it names. */
export function describeDatasetSpecs(kinds: readonly DatasetSpecKind[]): string {
  return kinds
    .map((kind) => `'${DATASET_SPEC_FORMS[kind].form}' (${DATASET_SPEC_FORMS[kind].description})`)
    .join(', ');
}

/**
 * Reads a dataset spec, accepting only the kinds in `allow`. Throws DatasetError('unknown-dataset')
 * whose message quotes the text, says what is wrong with it and lists the accepted forms.
 * `toy` reads as `toy:0`, and seeds may have leading zeros; formatDatasetSpec writes neither.
 */
export function parseDatasetSpec<K extends DatasetSpecKind>(
  text: string,
  options: { allow: readonly K[] },
): DatasetSpecOf<K> {
  const { allow } = options;
  const read = readSpec(text);
  if ('problem' in read) {
    const hint = read.problem === null ? '' : ` (${read.problem})`;
    throw new DatasetError(
      'unknown-dataset',
      `unknown dataset '${text}'${hint}: expected one of ${describeDatasetSpecs(allow)}`,
    );
  }
  const { spec } = read;
  if (!isAllowed(spec, allow)) {
    throw new DatasetError(
      'unknown-dataset',
      `dataset '${text}' (${DATASET_SPEC_FORMS[spec.kind].description}) cannot be used here: expected one of ${describeDatasetSpecs(allow)}`,
    );
  }
  return spec;
}

/**
 * The text of a spec: parseDatasetSpec(formatDatasetSpec(spec)) equals spec, and formatting what
 * parseDatasetSpec returned gives back the text (bar the `toy` and leading-zero shorthands). Throws
 * DatasetError for a spec that no text reads as (an empty dir, a seed outside uint32, an id that is
 * not a UUID), so nothing unreadable is ever stored or recorded.
 */
export function formatDatasetSpec(spec: DatasetSpec): string {
  const text = writeSpec(spec);
  const read = readSpec(text);
  if ('problem' in read || !sameSpec(read.spec, spec)) {
    const problem = 'problem' in read && read.problem !== null ? `: ${read.problem}` : '';
    throw new DatasetError(
      'invalid-option',
      `cannot write the ${spec.kind} dataset ${JSON.stringify(spec)} as a spec${problem}`,
    );
  }
  return text;
}

function writeSpec(spec: DatasetSpec): string {
  switch (spec.kind) {
    case 'mnist':
      return DATASET_SPEC_FORMS.mnist.form;
    case 'upload':
      return `${PREFIXES.upload}${spec.id}`;
    case 'idx':
      return `${PREFIXES.idx}${spec.dir}`;
    case 'toy':
      return `${PREFIXES.toy}${spec.seed}`;
  }
}

/** The spec the text names, or why it names none (null: it looks like no form at all). */
function readSpec(text: string): { spec: DatasetSpec } | { problem: string | null } {
  if (text === '') return { problem: 'the text is empty' };
  if (text.trim() !== text) return { problem: 'it starts or ends with white space' };
  if (text === DATASET_SPEC_FORMS.mnist.form) return { spec: { kind: 'mnist' } };
  if (text === 'toy') return { spec: { kind: 'toy', seed: TOY_DEFAULT_SEED } };
  if (text.startsWith(PREFIXES.upload)) {
    const id = text.slice(PREFIXES.upload.length);
    if (id === '') return { problem: `no id after '${PREFIXES.upload}'` };
    if (!UUID.test(id)) return { problem: `the id '${id}' after '${PREFIXES.upload}' is not a UUID` };
    return { spec: { kind: 'upload', id } };
  }
  if (text.startsWith(PREFIXES.idx)) {
    const dir = text.slice(PREFIXES.idx.length);
    if (dir === '') return { problem: `no directory after '${PREFIXES.idx}'` };
    return { spec: { kind: 'idx', dir } };
  }
  if (text.startsWith(PREFIXES.toy)) {
    const digits = text.slice(PREFIXES.toy.length);
    if (digits === '') return { problem: `no seed after '${PREFIXES.toy}'` };
    const seed = Number(digits);
    if (!WHOLE_NUMBER.test(digits) || seed > TOY_MAX_SEED) {
      return {
        problem: `the seed '${digits}' after '${PREFIXES.toy}' is not a whole number in 0..${TOY_MAX_SEED}`,
      };
    }
    return { spec: { kind: 'toy', seed } };
  }
  const respelled = withLowerCaseForm(text);
  if (respelled !== null && 'spec' in readSpec(respelled)) return { problem: `write it '${respelled}'` };
  return { problem: null };
}

/** The text with its form word in lower case (`MNIST` → `mnist`, `IDX:/Data` → `idx:/Data`), if it has one. */
function withLowerCaseForm(text: string): string | null {
  const lower = text.toLowerCase();
  if (lower === DATASET_SPEC_FORMS.mnist.form || lower === 'toy') return lower;
  const prefix = Object.values(PREFIXES).find((candidate) => lower.startsWith(candidate));
  return prefix === undefined ? null : `${prefix}${text.slice(prefix.length)}`;
}

function isAllowed<K extends DatasetSpecKind>(
  spec: DatasetSpec,
  allow: readonly K[],
): spec is DatasetSpecOf<K> {
  return (allow as readonly DatasetSpecKind[]).includes(spec.kind);
}

function sameSpec(a: DatasetSpec, b: DatasetSpec): boolean {
  switch (a.kind) {
    case 'mnist':
      return b.kind === 'mnist';
    case 'upload':
      return b.kind === 'upload' && a.id === b.id;
    case 'idx':
      return b.kind === 'idx' && a.dir === b.dir;
    case 'toy':
      return b.kind === 'toy' && a.seed === b.seed;
  }
}
