// The PostgreSQL connection pool, with the settings every instance must share.
import pg from 'pg';

/**
 * bigint (int8) columns and count(*) come back as JavaScript numbers, as SQLite's integers do: ids
 * and counts stay far below 2^53, and the query modules are shared between the dialects. Every other
 * type keeps the driver's parser (text stays text: timestamps and JSON are stored as text).
 */
const INT8_OID = 20;
const int8AsNumber = (value: string): number => Number(value);
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary'): unknown =>
    oid === INT8_OID ? int8AsNumber : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

export interface PostgresOptions {
  /** postgres:// or postgresql:// URL; sslmode and the other libpq parameters as the driver reads them. */
  readonly url: string;
  /** Most connections this instance holds; a unit of work holds one from BEGIN to COMMIT. */
  readonly maxConnections?: number;
  /**
   * Told when an idle pooled connection fails (the server restarted, a network cut). The pool drops
   * that connection and opens another when next asked; unheard, the error would end the process.
   */
  readonly onIdleError?: (error: Error) => void;
}

export function openPool(options: PostgresOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.maxConnections ?? 10,
    types,
    // Statements are the application's own; a connection's time zone or date style never leaks
    // into them (timestamps are ISO text), but the session is made explicit for reproducibility.
    options: '-c TimeZone=UTC',
  });
  pool.on('error', (error) => options.onIdleError?.(error));
  return pool;
}
