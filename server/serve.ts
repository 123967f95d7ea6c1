// One server process: builds the services over the database, listens, runs the clock-driven jobs
// and the mail worker, and shuts down cleanly on SIGTERM/SIGINT: report not ready at once, keep
// serving for the shutdown delay (a load balancer takes a few probes to notice), then stop
// accepting, let in-flight requests and the mail in flight finish (up to the grace period), and
// close the database. A port it cannot listen on ends it at once with one log line and status 1.
import cluster from 'node:cluster';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { systemClock } from '../domain/clock.js';
import { createApp } from './app.js';
import { databaseLabel, type Config } from './config.js';
import { answerClientErrors } from './client-errors.js';
import { buildContainer } from './container.js';
import type { Logger } from '../runtime/logger.js';
import { clusterMetricsText } from './metrics.js';
import { LISTEN_FAILED, type ListenFailed } from './cluster.js';

/** The operator's words for the usual listen errors (errno names, as libuv reports them). */
const LISTEN_ERRORS: Readonly<Record<string, string>> = {
  EADDRINUSE: 'the address is already in use (another server on this port?); set PORT or HOST',
  EACCES: 'permission denied (ports below 1024 need privileges); set PORT',
  EADDRNOTAVAIL: 'no interface of this machine has that address; set HOST',
  ENOTFOUND: 'HOST does not resolve to an address',
  EAI_AGAIN: 'HOST could not be resolved now (name service unavailable)',
};

/** One line that says what could not be listened on and why. */
export function listenErrorMessage(error: NodeJS.ErrnoException, host: string, port: number): string {
  const why = (error.code && LISTEN_ERRORS[error.code]) ?? error.message;
  return `cannot listen on ${host}:${port}: ${why}${error.code ? ` (${error.code})` : ''}`;
}

export async function serve(config: Config, logger: Logger): Promise<void> {
  const container = await buildContainer({ config, clock: systemClock, logger });
  container.metrics.collectProcessMetrics();
  // A cluster worker's /metrics answers for every worker (they share the port, so a scrape cannot
  // choose one); the primary gathers them.
  const metricsText = cluster.isWorker ? clusterMetricsText(container.metrics.registry) : undefined;
  const app = createApp({ ...container, config, ...(metricsText ? { metricsText } : {}) });

  async function runJobs(): Promise<void> {
    try {
      const done = await container.runJobs();
      if (done.renewals > 0 || done.expiredInvitations > 0) logger.info(done, 'jobs ran');
    } catch (error) {
      logger.error({ err: error }, 'jobs failed; they will run again at the next interval');
    }
  }

  const jobs =
    config.jobsIntervalSeconds > 0
      ? setInterval(() => void runJobs(), config.jobsIntervalSeconds * 1000)
      : undefined;
  jobs?.unref();

  const server: Server = createServer(app);
  // Oversized headers (431) and malformed requests get a body and a log line, not a bare status.
  answerClientErrors(server, logger);
  // Until it listens, an error is a failure to listen (port taken, no permission, unknown host):
  // the process cannot serve, so it says why in one line and exits non-zero rather than linger.
  const cannotListen = (error: NodeJS.ErrnoException) => {
    clearInterval(jobs);
    const message = listenErrorMessage(error, config.host, config.port);
    if (cluster.isWorker && process.send) {
      // The primary logs it once for every worker and stops them all (server/cluster.ts).
      const failed: ListenFailed = { type: LISTEN_FAILED, code: error.code, message };
      process.send(failed, undefined, undefined, () => process.exit(1));
      return;
    }
    logger.fatal({ code: error.code, host: config.host, port: config.port }, message);
    logger.flush();
    process.exit(1);
  };
  server.once('error', cannotListen);
  server.listen(config.port, config.host, () => void listening());
  async function listening(): Promise<void> {
    server.off('error', cannotListen);
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    logger.info(
      { host: config.host, port, database: databaseLabel(config) },
      `listening on http://${config.host}:${port}`,
    );
    await runJobs();
    container.mail.start();
    container.webhookWorker.start();
  }

  // Keep-alive (RFC 9112 §9.3): a busy client reuses its connections back to back, so they are
  // never idle and the drain would last the whole grace period. From SIGTERM on, every response
  // not yet begun says `Connection: close` (RFC 9110 §7.6.1), so each connection ends with its
  // request in flight and the client opens a new one, to another server or to a refusal it can
  // retry; idle connections are closed at once.
  let stopping = false;
  const unanswered = new Set<ServerResponse>();
  server.prependListener('request', (_req, res: ServerResponse) => {
    if (stopping) {
      res.setHeader('Connection', 'close');
      return;
    }
    unanswered.add(res);
    res.once('close', () => unanswered.delete(res));
  });

  function shutdown(signal: NodeJS.Signals): void {
    if (stopping) return;
    stopping = true;
    for (const res of unanswered) {
      if (!res.headersSent) res.setHeader('Connection', 'close');
      // A response already under way (a streamed export) keeps its connection until it ends.
      else res.once('finish', () => setImmediate(() => server.closeIdleConnections()));
    }
    unanswered.clear();
    server.closeIdleConnections();
    // Not ready from this instant: /readyz answers 503 while requests are still served.
    container.health.shuttingDown();
    logger.info({ signal }, 'shutting down');
    clearInterval(jobs);
    // No new delivery starts; the one in flight may finish within the grace period. If it cannot,
    // its row keeps its lease and is sent again after the next start (at least once).
    const mailStopped = Promise.race([
      Promise.all([container.mail.stop(), container.webhookWorker.stop()]).then(() => undefined),
      new Promise<void>((resolve) => setTimeout(resolve, config.shutdownGraceMs).unref()),
    ]);
    if (config.shutdownDelayMs > 0) {
      logger.debug({ delayMs: config.shutdownDelayMs }, 'serving on until load balancers notice');
      setTimeout(() => drain(mailStopped), config.shutdownDelayMs);
    } else {
      drain(mailStopped);
    }
  }

  /** Stops accepting connections, lets in-flight requests finish, then closes the database. */
  function drain(mailStopped: Promise<void>): void {
    const force = setTimeout(() => {
      logger.warn('grace period over; closing remaining connections');
      server.closeAllConnections();
    }, config.shutdownGraceMs);
    force.unref();
    server.close(() => {
      void mailStopped.then(async () => {
        await container.close();
        logger.info('stopped');
        logger.flush();
        process.exitCode = 0;
        // A cluster worker's channel to the primary would keep it alive; closing it lets it exit.
        process.disconnect?.();
      });
    });
    // Keep-alive connections with no request in flight would hold close() open until they time out.
    server.closeIdleConnections();
  }

  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'uncaught exception; exiting');
    process.exit(1);
  });
}
