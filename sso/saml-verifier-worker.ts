// One thread of the SAML verifier pool (saml-verifier-pool.ts): verifies each response it is sent
// and answers with the verdict, matched by the request's id. It holds no state and touches no
// storage.
import { inspect } from 'node:util';
import { parentPort, workerData } from 'node:worker_threads';
import { SsoError } from './errors.js';
import { verifySamlResponse } from './saml.js';
import { setSamlDirect } from './saml-direct.js';
import { setSamlSpeedups } from './saml-speedups.js';
import type { VerifierWorkerData, VerifyReply, VerifyRequest } from './saml-verifier-pool.js';

const port = parentPort;
if (!port) throw new Error('saml-verifier-worker runs as a worker thread of the SAML verifier pool.');
// Loading saml.js installed and switched on the speed-ups; the pool may ask for the libraries' own code.
if ((workerData as VerifierWorkerData | undefined)?.speedups === false) setSamlSpeedups(false);
// Likewise the direct verification (saml-direct.ts): on unless the pool asks for node-saml's path.
if ((workerData as VerifierWorkerData | undefined)?.direct === false) setSamlDirect(false);

port.on('message', (request: VerifyRequest) => {
  const reply = (message: VerifyReply) => port.postMessage(message);
  verifySamlResponse(request.config, request.samlResponse, request.nowMs).then(
    (verified) => reply({ id: request.id, ok: true, verified }),
    (error: unknown) =>
      reply(
        error instanceof SsoError
          ? { id: request.id, ok: false, code: error.code, cause: messageOf(error.cause, false) }
          : { id: request.id, ok: false, error: messageOf(error, true) ?? 'unknown error' },
      ),
  );
});

/** Errors travel as text, what the log needs: the message, and for a failure of ours the stack. */
function messageOf(error: unknown, stack: boolean): string | null {
  if (error === undefined || error === null) return null;
  if (!(error instanceof Error)) return inspect(error);
  return stack ? (error.stack ?? error.message) : error.message;
}
