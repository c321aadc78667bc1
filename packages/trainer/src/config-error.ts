export class TrainConfigError extends Error {
  override name = 'TrainConfigError';
}
