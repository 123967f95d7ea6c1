// Versions of directory resources: a write given the version it read (If-Match, RFC 7644 §3.14)
// applies only while the resource is still at that version.
import { PreconditionFailedError } from '../../domain/errors.js';

/** Refuses the write when `expected` is given and the resource is no longer at it. */
export function checkVersion(current: number, expected: number | undefined): void {
  if (expected !== undefined && expected !== current) {
    throw new PreconditionFailedError(
      'The resource changed since the version given in If-Match; read it again.',
    );
  }
}
