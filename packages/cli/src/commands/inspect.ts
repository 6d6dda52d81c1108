import {
  type BilinearModel,
  formatShape,
  type ImportModelOptions,
  importModel,
  ModelConfigError,
  ModelLayoutError,
  SafetensorsError,
  type SafetensorsFile,
} from '@bilinear-lab/core';
import type { Command } from 'commander';
import { formatBytes, formatInteger, renderTable } from '../format.js';
import { modelImportOptions, readSafetensorsFile } from '../model-file.js';
import { printLine } from '../output.js';

interface InspectOptions {
  json?: boolean;
  config?: string;
}

export function registerInspect(program: Command): void {
  program
    .command('inspect')
    .description(
      'list the tensors, dtypes, shapes, byte sizes and metadata of a safetensors file, and the model layout it holds',
    )
    .argument('<file>', 'a .safetensors file')
    .option('--json', 'print one JSON document instead of text')
    .option(
      '--config <path>',
      "the model's config file (default: <file>.config.json, <name>.config.json, or config.json beside a model.safetensors)",
    )
    .action(async (path: string, options: InspectOptions) => {
      const file = await readSafetensorsFile(path);
      const report = inspectFile(path, file, await modelImportOptions(path, options));
      printLine(options.json ? JSON.stringify(report) : renderReport(report));
    });
}

interface InspectReport {
  file: string;
  bytes: number;
  header_bytes: number;
  metadata: Record<string, string>;
  tensors: {
    name: string;
    dtype: string;
    shape: readonly number[];
    elements: number;
    bytes: number;
    data_offsets: readonly [number, number];
  }[];
  elements: number;
  /** What importModel recognised, or null with the reason in layout_error. */
  layout: Record<string, unknown> | null;
  layout_error: { code: string; message: string } | null;
}

function inspectFile(path: string, file: SafetensorsFile, importOptions: ImportModelOptions): InspectReport {
  const tensors = [...file.tensors.values()].map((info) => ({
    name: info.name,
    dtype: info.dtype,
    shape: info.shape,
    elements: info.elementCount,
    bytes: info.byteLength,
    data_offsets: info.dataOffsets,
  }));
  let layout: InspectReport['layout'] = null;
  let layoutError: InspectReport['layout_error'] = null;
  try {
    layout = {
      ...describeLayout(importModel(file, importOptions)),
      config_file: importOptions.configName ?? null,
    };
  } catch (error) {
    // Inspecting a file that is not a model is still a successful inspection: say why it is not one.
    const known = [ModelLayoutError, ModelConfigError, SafetensorsError];
    if (!known.some((type) => error instanceof type)) throw error;
    const { code, message } = error as { code: string; message: string };
    layoutError = { code, message };
  }
  return {
    file: path,
    bytes: file.bytes.length,
    header_bytes: file.dataStart - 8,
    metadata: file.metadata,
    tensors,
    elements: tensors.reduce((sum, tensor) => sum + tensor.elements, 0),
    layout,
    layout_error: layoutError,
  };
}

function describeLayout(model: BilinearModel): Record<string, unknown> {
  if (model.layout === 'image-classifier') {
    return {
      name: model.layout,
      input_dim: model.inputDim,
      image_shape: model.imageShape,
      model_dim: model.embed.rows,
      hidden_dim: model.blocks[0]?.left.rows ?? 0,
      blocks: model.blocks.length,
      classes: model.head.rows,
      residual: model.residual,
      gate: model.gate,
      config_source: model.configSource,
    };
  }
  return {
    name: model.layout,
    vocab_size: model.vocabSize,
    model_dim: model.modelDim,
    hidden_dim: model.hiddenDim,
    layers: model.layers.length,
    gate: model.gate,
    config_source: model.configSource,
  };
}

/** Where gate and residual came from, in words. */
function sourceSentence(layout: Record<string, unknown>): string {
  switch (layout.config_source) {
    case 'metadata':
      return "read from the file's metadata";
    case 'config-file':
      return `read from ${String(layout.config_file)}`;
    default:
      return layout.name === 'image-classifier'
        ? 'the file records no config: plain bilinear blocks assumed; residual blocks cannot be told from the weights, so pass --residual to decompose if they are'
        : 'no config.json beside the file: bilinear MLPs assumed';
  }
}

function blockKind(layout: Record<string, unknown>): string {
  const parts = [layout.gate === 'none' ? 'bilinear' : `gate ${String(layout.gate)}`];
  if (layout.residual === true) parts.push('residual');
  return parts.join(', ');
}

function renderReport(report: InspectReport): string {
  const lines: string[] = [];
  const field = (name: string, value: string) => {
    const [first = '', ...rest] = value.split('\n');
    lines.push(`${name.padEnd(10)}${first}`);
    for (const line of rest) lines.push(`${' '.repeat(10)}${line}`);
  };
  field('file', report.file);
  field(
    'size',
    `${formatBytes(report.bytes)} (${formatInteger(report.bytes)} bytes, header ${formatInteger(report.header_bytes)})`,
  );
  const metadata = Object.entries(report.metadata);
  field('metadata', metadata.length === 0 ? '(none)' : metadata.map(([k, v]) => `${k} = ${v}`).join('\n'));
  lines.push('');
  const rows = report.tensors.map((t) => [
    t.name,
    t.dtype,
    formatShape(t.shape),
    formatInteger(t.elements),
    formatInteger(t.bytes),
  ]);
  const dataBytes = report.tensors.reduce((sum, t) => sum + t.bytes, 0);
  lines.push(
    renderTable(
      [
        ['tensor', 'dtype', 'shape', 'elements', 'bytes'],
        ...rows,
        [
          `${report.tensors.length} tensors`,
          '',
          '',
          formatInteger(report.elements),
          formatInteger(dataBytes),
        ],
      ],
      ['left', 'left', 'left', 'right', 'right'],
    ),
  );
  lines.push('');
  if (report.layout !== null) {
    field('layout', layoutSentence(report.layout));
    field('config', sourceSentence(report.layout));
  } else field('layout', `none: ${report.layout_error?.message ?? 'unknown reason'}`);
  return lines.join('\n');
}

function layoutSentence(layout: Record<string, unknown>): string {
  if (layout.name === 'image-classifier') {
    const image = Array.isArray(layout.image_shape) ? ` (${layout.image_shape.join('×')} image)` : '';
    const blocks = layout.blocks === 1 ? '1 block' : `${layout.blocks} blocks`;
    return (
      `image-classifier: ${layout.input_dim} inputs${image} → d = ${layout.model_dim}, ${blocks} ` +
      `(hidden ${layout.hidden_dim}; ${blockKind(layout)}) → ${layout.classes} classes`
    );
  }
  const layers = layout.layers === 1 ? '1 layer' : `${layout.layers} layers`;
  const mlps = layout.gate === 'none' ? 'bilinear MLPs' : `gated MLPs (gate ${String(layout.gate)})`;
  return (
    `language-model: vocabulary ${layout.vocab_size}, d = ${layout.model_dim}, ${layers} ` +
    `with ${mlps} (hidden ${layout.hidden_dim})`
  );
}
