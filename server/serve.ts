// One server process: builds the services over the database, listens, runs the clock-driven jobs
// and the mail worker, and shuts down cleanly on SIGTERM/SIGINT: report not ready at once, keep
// serving for the shutdown delay (a load balancer takes a few probes to notice), then stop
// accepting, let in-flight requests and the mail in flight finish (up to the grace period), and
// close the database.
import cluster from 'node:cluster';
import type { Server } from 'node:http';
import { systemClock } from '../domain/clock.js';
import { createApp } from './app.js';
import type { Config } from './config.js';
import { buildContainer } from './container.js';
import type { Logger } from './logger.js';
import { clusterMetricsText } from './metrics.js';

export function serve(config: Config, logger: Logger): void {
  const container = buildContainer({ config, clock: systemClock, logger });
  container.metrics.collectProcessMetrics();
  // A cluster worker's /metrics answers for every worker (they share the port, so a scrape cannot
  // choose one); the primary gathers them.
  const metricsText = cluster.isWorker ? clusterMetricsText(container.metrics.registry) : undefined;
  const app = createApp({ ...container, config, ...(metricsText ? { metricsText } : {}) });

  function runJobs(): void {
    try {
      const done = container.runJobs();
      if (done.renewals > 0 || done.expiredInvitations > 0) logger.info(done, 'jobs ran');
    } catch (error) {
      logger.error({ err: error }, 'jobs failed; they will run again at the next interval');
    }
  }

  const jobs =
    config.jobsIntervalSeconds > 0 ? setInterval(runJobs, config.jobsIntervalSeconds * 1000) : undefined;
  jobs?.unref();

  const server: Server = app.listen(config.port, config.host, () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    logger.info(
      { host: config.host, port, database: config.databasePath },
      `listening on http://${config.host}:${port}`,
    );
    runJobs();
    container.mail.start();
    container.webhookWorker.start();
  });

  let stopping = false;
  function shutdown(signal: NodeJS.Signals): void {
    if (stopping) return;
    stopping = true;
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
      void mailStopped.then(() => {
        container.close();
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
