/** Every failure this package throws on purpose: a bad argument, a missing file, an unknown variant or id. */
export class TokenizerError extends Error {
  override name = 'TokenizerError';
}
