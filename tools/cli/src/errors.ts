/** An expected failure (bad flag, missing file): printed as one line, no stack trace. */
export class CliError extends Error {
  override name = 'CliError';
}
