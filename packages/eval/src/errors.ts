/** A benchmark file that does not match its documented layout; the message starts with `file:line`. */
export class EvalDataError extends Error {
  override name = 'EvalDataError';
}

/** A model folder or model output that cannot be used for evaluation. */
export class EvalModelError extends Error {
  override name = 'EvalModelError';
}
