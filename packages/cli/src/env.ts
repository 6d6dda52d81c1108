/** The environment the CLI reads, parsed once at start-up and passed down. */
export interface CliEnv {
  /** BILINEAR_DEBUG=1: print stack traces of internal errors. */
  debug: boolean;
  /** BILINEAR_BACKEND: the compute backend when --backend is not given (default auto). */
  backend: string | undefined;
  /** BILINEAR_WEBGPU=1: let `--backend auto` try webgpu (opt-in until it has passed on GPU hardware). */
  webgpu: boolean;
  /** The environment child processes start from (the numpy reference in `bench eig`). */
  inherited: Readonly<Record<string, string | undefined>>;
}

export function readEnv(source: Readonly<Record<string, string | undefined>>): CliEnv {
  return {
    debug: source.BILINEAR_DEBUG === '1',
    backend: source.BILINEAR_BACKEND || undefined,
    webgpu: source.BILINEAR_WEBGPU === '1',
    inherited: { ...source },
  };
}
