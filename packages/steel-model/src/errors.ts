/** A config value that the Steel architecture cannot use: says which field, what it was, and what is allowed. */
export class SteelConfigError extends Error {
  override name = 'SteelConfigError';
  constructor(
    readonly field: string,
    readonly value: unknown,
    readonly allowed: string,
  ) {
    super(`config.${field} = ${JSON.stringify(value)} is not allowed: expected ${allowed}`);
  }
}

/** A safetensors file (or index) that is malformed, truncated or hostile. Always names the file. */
export class SafetensorsError extends Error {
  override name = 'SafetensorsError';
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`${file}: ${detail}`);
  }
}

/** A model folder or weight set that does not fit the config (missing, extra or mis-shaped tensors, bad files). */
export class CheckpointError extends Error {
  override name = 'CheckpointError';
}
