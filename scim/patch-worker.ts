// A thread of scim/patch-pool.ts: applies user PATCHes (scimmy's PatchOp over the user's SCIM
// representation, then the body normalisation and limits) one after another. Nothing here touches
// the database: the thread gets the user as it was read and returns it patched; the write, with
// its seat rules and its transaction, stays on the server's main thread.
import { parentPort } from 'node:worker_threads';
import { applyUserPatch } from './normalise.js';
import { declareScim } from './schemas.js';
import type { PatchReply, PatchRequest } from './patch-pool.js';
import { ScimError } from './errors.js';

declareScim();

parentPort!.on('message', (request: PatchRequest) => {
  applyUserPatch(request.current, request.operations).then(
    (result) => parentPort!.postMessage({ id: request.id, ok: true, result } satisfies PatchReply),
    (error: unknown) => {
      const e = error instanceof Error ? error : new Error(String(error));
      const reply: PatchReply = {
        id: request.id,
        ok: false,
        error:
          e instanceof ScimError
            ? { scim: true, status: e.status, scimType: e.scimType, detail: e.detail }
            : { scim: false, message: e.message },
      };
      parentPort!.postMessage(reply);
    },
  );
});
