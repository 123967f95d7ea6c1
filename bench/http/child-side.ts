// What every benchmark server process shares: listening on 127.0.0.1, counting the statuses it
// answered, announcing itself to the parent as one JSON line on stdout, and answering the parent's
// commands over the IPC channel (seeding, counts, exit). The parent is bench/http/child.ts.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;
export type Commands = Record<string, (args: Record<string, unknown>) => unknown>;

/** The first stdout line carrying this key is the announcement; everything else is passed through. */
export const READY_KEY = 'benchReady';

export interface CommandRequest {
  readonly id: number;
  readonly cmd: string;
  readonly args: Record<string, unknown>;
}

export type CommandReply =
  | { readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly id: number; readonly ok: false; readonly error: string };

/** Responses by status code. Counted when the response closes, so a response whose client went
 * away before reading it still counts with the status its handler set. */
export function statusCounter() {
  const counts: Record<string, number> = {};
  return {
    counts,
    wrap:
      (handler: Handler): Handler =>
      (req, res) => {
        res.once('close', () => {
          const key = String(res.statusCode);
          counts[key] = (counts[key] ?? 0) + 1;
        });
        handler(req, res);
      },
  };
}

/** Listens on an ephemeral port of 127.0.0.1. */
export async function listenLocal(): Promise<{ server: Server; port: number; url: string }> {
  const server = createServer();
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, port, url: `http://127.0.0.1:${port}` };
}

export function announce(info: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ [READY_KEY]: true, pid: process.pid, ...info })}\n`);
}

/**
 * Answers the parent's commands. `exit` is built in: it runs `close`, replies, and ends the process
 * normally (so --cpu-prof writes its profile). A lost parent ends the process too.
 */
export function serveCommands(commands: Commands, close: () => void | Promise<void>): void {
  const reply = (message: CommandReply, then?: () => void) => process.send?.(message, undefined, {}, then);
  process.on('message', (raw: CommandRequest) => {
    if (raw.cmd === 'exit') {
      Promise.resolve()
        .then(close)
        .finally(() => reply({ id: raw.id, ok: true, result: null }, () => process.exit(0)))
        .catch(() => undefined);
      return;
    }
    const command = commands[raw.cmd];
    Promise.resolve()
      .then(() => {
        if (!command) throw new Error(`unknown command ${raw.cmd}`);
        return command(raw.args);
      })
      .then(
        (result) => reply({ id: raw.id, ok: true, result }),
        (error: unknown) =>
          reply({
            id: raw.id,
            ok: false,
            error: error instanceof Error ? (error.stack ?? error.message) : String(error),
          }),
      );
  });
  process.on('disconnect', () => process.exit(0));
}
