/** A wrong argument to a kernel, or a kernel that cannot be built from the tables given. */
export class KernelError extends Error {
  override name = 'KernelError';
}
