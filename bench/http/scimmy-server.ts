// Baseline "scimmy in-memory": what a team writes first with scimmy 1.3.5 and no database. The
// User resource's ingress/egress/degress work on an array (a Map keeps userName uniqueness from
// being a linear scan, so the figure is scimmy's, not the scan's), scimmy coerces, filters, sorts and
// pages in memory, and a minimal express router stands in for scimmy-routers (not installed):
// read()/write()/patch()/dispose() and the right statuses. No seats, no audit, no durability.
import { randomUUID } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import SCIMMY from 'scimmy';
import { SCIM_BASE } from './bodies.js';
import { announce, listenLocal, serveCommands, statusCounter } from './child-side.js';

type Stored = Record<string, unknown> & { id: string; userName: string };
const users: Stored[] = [];
const byUserName = new Map<string, Stored>();

const { server, port, url } = await listenLocal();

SCIMMY.Resources.declare(SCIMMY.Resources.User)
  .ingress((resource, instance) => {
    const data = JSON.parse(JSON.stringify(instance)) as Stored;
    const key = data.userName.toLowerCase();
    const now = new Date().toISOString();
    const existing = resource.id ? users.find((u) => u.id === resource.id) : undefined;
    if (resource.id && !existing)
      throw new SCIMMY.Types.Error(404, 'noTarget', `User ${resource.id} not found`);
    const holder = byUserName.get(key);
    if (holder && holder !== existing)
      throw new SCIMMY.Types.Error(409, 'uniqueness', `userName ${data.userName} is taken`);
    if (existing) {
      byUserName.delete(existing.userName.toLowerCase());
      Object.assign(existing, data, {
        id: existing.id,
        meta: { ...(existing.meta as object), lastModified: now },
      });
      byUserName.set(key, existing);
      return existing;
    }
    const user: Stored = { ...data, id: randomUUID(), meta: { created: now, lastModified: now } };
    users.push(user);
    byUserName.set(key, user);
    return user;
  })
  .egress((resource) => {
    if (resource.id) {
      const user = users.find((u) => u.id === resource.id);
      if (!user) throw new SCIMMY.Types.Error(404, 'noTarget', `User ${resource.id} not found`);
      return user;
    }
    return resource.filter ? (resource.filter.match(users) as Stored[]) : users;
  })
  .degress((resource) => {
    const at = users.findIndex((u) => u.id === resource.id);
    if (at < 0) throw new SCIMMY.Types.Error(404, 'noTarget', `User ${resource.id} not found`);
    byUserName.delete(users[at]!.userName.toLowerCase());
    users.splice(at, 1);
  });
SCIMMY.Resources.User.basepath(`${url}${SCIM_BASE}`);

const app = express();
app.disable('x-powered-by');
app.set('etag', false);
const router = express.Router();
router.use(express.json({ type: ['application/json', 'application/scim+json'], limit: '1mb' }));
const query = (req: Request) => {
  const q = req.query as Record<string, string | undefined>;
  return {
    ...(q.filter ? { filter: q.filter } : {}),
    ...(q.attributes ? { attributes: q.attributes } : {}),
    ...(q.excludedAttributes ? { excludedAttributes: q.excludedAttributes } : {}),
    ...(q.sortBy ? { sortBy: q.sortBy } : {}),
    ...(q.sortOrder ? { sortOrder: q.sortOrder } : {}),
    ...(q.startIndex ? { startIndex: Number(q.startIndex) } : {}),
    ...(q.count ? { count: Number(q.count) } : {}),
  };
};
const send = (res: Response, status: number, body?: unknown) => {
  res.status(status).type('application/scim+json');
  if (body === undefined) res.end();
  else res.send(JSON.stringify(body));
};
router.get('/Users', async (req, res) =>
  send(res, 200, await new SCIMMY.Resources.User(undefined, query(req)).read()),
);
router.get('/Users/:id', async (req, res) =>
  send(res, 200, await new SCIMMY.Resources.User(req.params.id, query(req)).read()),
);
router.post('/Users', async (req, res) => send(res, 201, await new SCIMMY.Resources.User().write(req.body)));
router.put('/Users/:id', async (req, res) =>
  send(res, 200, await new SCIMMY.Resources.User(req.params.id).write(req.body)),
);
router.patch('/Users/:id', async (req, res) => {
  const message = req.body as Parameters<InstanceType<typeof SCIMMY.Resources.User>['patch']>[0];
  const patched = await new SCIMMY.Resources.User(req.params.id).patch(message);
  send(res, patched ? 200 : 204, patched);
});
router.delete('/Users/:id', async (req, res) => {
  await new SCIMMY.Resources.User(req.params.id).dispose();
  send(res, 204);
});
router.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
  const body = new SCIMMY.Messages.ErrorResponse(error as Error);
  send(res, Number(body.status) || 500, body);
});
app.use(SCIM_BASE, router);

const statuses = statusCounter();
server.on('request', statuses.wrap(app));
serveCommands({ counts: () => ({ statuses: { ...statuses.counts }, users: users.length }) }, () => {
  server.closeAllConnections();
  server.close();
});
announce({ port });
