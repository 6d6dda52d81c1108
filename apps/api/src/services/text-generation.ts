// POST /models/:id/generate: a prompt continued by a language model, answered synchronously. The
// prompt is encoded and the result decoded with the model's tokenizer (app.tokenizers); the tokens
// are drawn by core's sampleTokens on one thread of its own (threads/generate-text.ts), never on the
// event loop. The thread keeps the last models it was sent, and this service mirrors which, so a
// checkpoint is read and sent once. Requests take turns; beyond `queueLength` waiting, 503. Work is
// bounded: a request whose forward passes would cost more than GENERATE_BUDGET multiply-adds is
// refused before it starts (no KV cache: every added token reads its whole window again).
import { Worker } from 'node:worker_threads';
import type { Generated, GenerateRequest } from '@bilinear-lab/contracts';
import type { ArtifactStore, Model } from '@bilinear-lab/db';
import type { Tokenizer } from '@bilinear-lab/text';
import { serviceUnavailable, unprocessable } from '../errors.js';
import { type GenerateReply, type GenerateTask, MODELS_KEPT } from '../threads/generate-text.js';

const THREAD_FILE = new URL(
  import.meta.url.endsWith('.ts') ? '../../dist/threads/generate-text.js' : '../threads/generate-text.js',
  import.meta.url,
);

/**
 * Multiply-adds one request may cost at most. Measured: 256 tokens from the 2-layer d = 48 fixture
 * (1.1e9) took 7.4 s on 2 busy cores, so this is about 15 s at worst; a ts-medium-sized
 * model (d 512, 8 layers) gets a few tokens per request.
 */
export const GENERATE_BUDGET = 2e9;
const QUEUE_LENGTH = 8;
const IDLE_MS = 60_000;

interface LanguageModelShape {
  vocabSize: number;
  modelDim: number;
  hiddenDim: number;
  layers: number;
  context: number | null;
}

/** Multiply-adds of the forward passes that add `tokens` tokens after `prompt` tokens. */
export function generationCost(shape: LanguageModelShape, prompt: number, tokens: number): number {
  const { modelDim: d, hiddenDim: h, layers, vocabSize } = shape;
  const perPosition = layers * (4 * d * d + 3 * d * h) + d * vocabSize;
  const context = shape.context ?? Number.POSITIVE_INFINITY;
  let positions = 0;
  for (let n = 0; n < tokens; n++) positions += Math.min(prompt + n, context);
  return positions * perPosition;
}

interface Pending {
  task: GenerateTask;
  resolve(ids: number[]): void;
  reject(error: Error): void;
}

export class TextGeneration {
  private worker: Worker | null = null;
  /** Artifact ids the thread holds, least recently used first (as the thread keeps them). */
  private readonly held: string[] = [];
  private readonly waiting: Pending[] = [];
  private running: Pending | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  private nextId = 1;
  private closed = false;

  constructor(private readonly artifacts: ArtifactStore) {}

  async generate(model: Model, tokenizer: Tokenizer, request: GenerateRequest): Promise<Generated> {
    const shape = model.config as unknown as LanguageModelShape;
    if (tokenizer.vocabSize !== shape.vocabSize) {
      throw unprocessable(
        'no-tokenizer',
        `model ${model.id}: its tokenizer has ${tokenizer.vocabSize} tokens, the model ${shape.vocabSize}`,
      );
    }
    const prompt = Array.from((await tokenizer.encode(request.prompt)).ids);
    const cost = generationCost(shape, prompt.length, request.tokens);
    if (cost > GENERATE_BUDGET) {
      throw unprocessable(
        'too-large',
        `body.tokens: ${request.tokens} tokens after a prompt of ${prompt.length} from this model cost ${cost.toExponential(2)} multiply-adds, more than the ${GENERATE_BUDGET.toExponential(0)} a request may take; ask for fewer tokens or a shorter prompt`,
      );
    }
    const artifactId = model.checkpointArtifactId as string;
    const ids = await this.enqueue(
      {
        id: 0,
        artifactId,
        prompt,
        sampling: {
          count: request.tokens,
          temperature: request.temperature,
          seed: request.seed,
          ...(request.topK === undefined ? {} : { topK: request.topK }),
          ...(tokenizer.special.eos === null ? {} : { stopToken: tokenizer.special.eos }),
        },
      },
      model.config,
    );
    return { ids, text: await tokenizer.decode([...prompt, ...ids]) };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const pending of this.waiting.splice(0))
      pending.reject(serviceUnavailable('the API is shutting down', 5));
    await this.worker?.terminate();
  }

  private enqueue(task: GenerateTask, modelConfig: unknown): Promise<number[]> {
    if (this.closed) return Promise.reject(serviceUnavailable('the API is shutting down', 5));
    if (this.waiting.length >= QUEUE_LENGTH) {
      return Promise.reject(
        serviceUnavailable(
          `${this.waiting.length} generate requests are waiting, the most this server holds; try again shortly`,
          2,
        ),
      );
    }
    return new Promise<number[]>((resolve, reject) => {
      this.waiting.push({ task: { ...task, id: this.nextId++ }, resolve, reject });
      this.modelConfigs.set(task.artifactId, modelConfig);
      void this.pump();
    });
  }

  private readonly modelConfigs = new Map<string, unknown>();

  private async pump(): Promise<void> {
    if (this.running !== null) return;
    const pending = this.waiting.shift();
    if (pending === undefined) {
      this.idleTimer = setTimeout(() => this.stopThread(), IDLE_MS);
      this.idleTimer.unref();
      return;
    }
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    this.running = pending;
    const { task } = pending;
    try {
      const worker = this.thread();
      const transfer: ArrayBuffer[] = [];
      if (!this.held.includes(task.artifactId)) {
        const bytes = (await this.artifacts.read(task.artifactId)) as Uint8Array<ArrayBuffer>;
        task.checkpoint = { bytes, modelConfig: this.modelConfigs.get(task.artifactId) };
        transfer.push(bytes.buffer);
      }
      this.modelConfigs.delete(task.artifactId);
      // Mirror the thread's order: this model is now its most recent.
      const at = this.held.indexOf(task.artifactId);
      if (at >= 0) this.held.splice(at, 1);
      this.held.push(task.artifactId);
      while (this.held.length > MODELS_KEPT) this.held.shift();
      worker.postMessage(task, transfer);
    } catch (error) {
      this.finish(null, error as Error);
    }
  }

  private thread(): Worker {
    if (this.worker !== null) return this.worker;
    const worker = new Worker(THREAD_FILE);
    worker.on('message', (reply: GenerateReply) => {
      if (reply.ok) this.finish(reply.ids, null);
      else {
        const refused = ['LanguageModelForwardError', 'SafetensorsError', 'ModelConfigError'].includes(
          reply.name,
        );
        this.finish(
          null,
          refused ? unprocessable('cannot-generate', reply.message) : new Error(reply.message),
        );
      }
    });
    worker.on('error', (error) => this.lost(worker, error));
    worker.on('exit', (code) =>
      this.lost(worker, new Error(`the generation thread exited with code ${code}`)),
    );
    this.worker = worker;
    this.held.length = 0;
    return worker;
  }

  private lost(worker: Worker, error: Error): void {
    if (this.worker !== worker) return;
    this.worker = null;
    this.held.length = 0;
    if (this.running !== null) this.finish(null, error);
  }

  private stopThread(): void {
    const worker = this.worker;
    this.worker = null;
    this.held.length = 0;
    void worker?.terminate();
  }

  private finish(ids: number[] | null, error: Error | null): void {
    const pending = this.running;
    this.running = null;
    if (pending !== null) {
      if (error !== null) pending.reject(error);
      else pending.resolve(ids as number[]);
    }
    void this.pump();
  }
}
