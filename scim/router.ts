// The SCIM 2.0 service provider (RFC 7644), mounted at one fixed path. The organisation comes from
// the bearer token, never from the URL. This edge only translates: SCIM JSON in, a directory call,
// SCIM JSON out; every rule about seats and members lives in provisioning/directory.ts.
import { keyedQueue } from '../runtime/keyed-queue.js';
import { isUtf8 } from 'node:buffer';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { Actor } from '../domain/model.js';
import { refuseNul } from '../domain/nul.js';
import { AuthError, PreconditionFailedError, ValidationError } from '../domain/errors.js';
import type { Directory, Group } from '../provisioning/directory.js';
import type { ScimCaller, ScimTokens } from '../provisioning/scim-tokens.js';
import type { Logger } from '../runtime/logger.js';
import { errorBody, ScimError, toScimError } from './errors.js';
import { parseAttributePath, parseFilter, type FilterNode } from './filter.js';
import { applyUserPatch, groupChanges, isObject, normalisePatch, normaliseResource } from './normalise.js';
import { sharedPatchPool, type PatchPool } from './patch-pool.js';
import { MAX_PAGE_BYTES, MAX_USER_BYTES } from './limits.js';
import { createRateLimiter, type RateLimit } from './rate-limit.js';
import {
  etag,
  fromScimGroup,
  fromScimUser,
  project,
  toScimGroup,
  toScimUser,
  versionFromHeader,
} from './representation.js';
import { discoveryAt } from './discovery.js';
import { LIST_SCHEMA, MAX_PAYLOAD, MAX_RESULTS } from './schemas.js';

export const SCIM_PATH = '/scim/v2';
const SCIM_TYPE = 'application/scim+json';
const DEFAULT_COUNT = 100;
/** The paths whose POST or PUT body is one User: /Users and /Users/{id}, not /Users/.search. */
/** The paths whose POST body is a SearchRequest (RFC 7644 §3.4.3). */
const SEARCH = /\/\.search\/?$/i;
const USER_BODY = /^\/Users(?:\/(?!\.search(?:[/?]|$))[^/?]+)?\/?(?:\?.*)?$/i;

export interface ScimDeps {
  readonly directory: Directory;
  readonly tokens: ScimTokens;
  readonly logger: Logger;
  /** Public URL of the server, without the SCIM path. */
  readonly publicBaseUrl: string;
  /** Per token: one identity provider's connection. */
  readonly rateLimit: RateLimit;
  /**
   * Per organisation, over all its tokens, so that more tokens do not buy more capacity. Absent:
   * none (the tests and benchmarks that measure the server itself).
   */
  readonly organisationRateLimit?: RateLimit;
  /** Where user PATCHes are applied, off the event loop; absent: the process's shared pool. */
  readonly patchPool?: PatchPool;
}

type Json = Record<string, unknown>;

interface Query {
  readonly filter: FilterNode | undefined;
  readonly sortBy: ReturnType<typeof parseAttributePath> | undefined;
  readonly descending: boolean;
  readonly startIndex: number;
  readonly count: number;
  readonly attributes: string | undefined;
  readonly excludedAttributes: string | undefined;
}

/**
 * A user PATCH of at most INLINE_PATCH_OPERATIONS operations on a user of at most INLINE_PATCH_BYTES
 * of JSON is applied on the event loop: a millisecond or less of scimmy's work (it costs per
 * operation more than per byte), about the round trip to a PATCH thread, so the everyday PATCHes
 * of Okta and Entra (one to a few operations on a user of a kilobyte or two) keep their
 * throughput. Anything larger goes to a thread (scim/patch-pool.ts).
 */
const INLINE_PATCH_OPERATIONS = 4;
const INLINE_PATCH_BYTES = 8192;

function send(res: Response, status: number, body?: unknown): void {
  res.status(status).type(SCIM_TYPE);
  if (body === undefined) res.end();
  else res.send(JSON.stringify(body));
}

function caller(res: Response): ScimCaller {
  return res.locals.caller as ScimCaller;
}

function actorOf(res: Response): Actor {
  return { type: 'scim_token', tokenId: caller(res).tokenId };
}

function text(value: unknown, name: string): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string')
    throw new ScimError(400, 'invalidValue', `"${name}" must be a single string.`);
  return value;
}

function integer(value: unknown, name: string): number | undefined {
  const raw = typeof value === 'number' ? String(value) : text(value, name);
  if (raw === undefined) return undefined;
  if (!/^-?\d{1,9}$/.test(raw.trim()))
    throw new ScimError(400, 'invalidValue', `"${name}" must be an integer.`);
  return Number(raw);
}

/**
 * `attributes` / `excludedAttributes`: a comma-separated string, or in a SearchRequest an array of
 * strings (RFC 7644 §3.4.3). Anything else in the array (an object, a number) is refused here rather
 * than coerced to text, which for an object without a usable toString would throw.
 */
function pathList(value: unknown, name: string): string | undefined {
  if (!Array.isArray(value)) return text(value, name);
  if (!value.every((item) => typeof item === 'string'))
    throw new ScimError(400, 'invalidValue', `"${name}" must be a string or an array of strings.`);
  return value.join(',');
}

/** Query parameters (GET) or a SearchRequest body (POST .search), RFC 7644 §3.4.2 and §3.4.3. */
function readQuery(source: Json): Query {
  const attributes = pathList(source.attributes, 'attributes');
  const excluded = pathList(source.excludedAttributes, 'excludedAttributes');
  const filterText = text(source.filter, 'filter');
  const sortByText = text(source.sortBy, 'sortBy');
  const order = text(source.sortOrder, 'sortOrder')?.toLowerCase();
  if (order !== undefined && order !== 'ascending' && order !== 'descending') {
    throw new ScimError(400, 'invalidValue', '"sortOrder" must be "ascending" or "descending".');
  }
  // RFC 7644 §3.4.2.4: a startIndex below 1 is read as 1; a negative count as 0; and the server
  // may return fewer than asked (never more than MAX_RESULTS).
  const startIndex = Math.max(1, integer(source.startIndex, 'startIndex') ?? 1);
  const count = Math.min(MAX_RESULTS, Math.max(0, integer(source.count, 'count') ?? DEFAULT_COUNT));
  return {
    filter: filterText === undefined ? undefined : parseFilter(filterText),
    sortBy: sortByText === undefined ? undefined : parseAttributePath(sortByText),
    descending: order === 'descending',
    startIndex,
    count,
    attributes,
    excludedAttributes: excluded,
  };
}

/**
 * The resources of one list page, serialised as they are added, up to MAX_PAGE_BYTES: past it the
 * page ends, and itemsPerPage says how many it holds (RFC 7644 §3.4.2.4: fewer than `count` is
 * allowed; the client's next page starts at startIndex + itemsPerPage). The first resource is
 * always taken, so paging always advances.
 */
class Page {
  private readonly parts: string[] = [];
  private bytes = 0;

  get full(): boolean {
    return this.bytes >= MAX_PAGE_BYTES;
  }

  /** Adds one resource; false once the page is full (the resource is then not added). */
  add(resource: Json): boolean {
    if (this.full) return false;
    const json = JSON.stringify(resource);
    this.parts.push(json);
    this.bytes += json.length;
    return true;
  }

  /** The ListResponse (RFC 7644 §3.4.2), as JSON text. */
  body(total: number, startIndex: number): string {
    const head = JSON.stringify({
      schemas: [LIST_SCHEMA],
      totalResults: total,
      startIndex,
      itemsPerPage: this.parts.length,
    });
    return `${head.slice(0, -1)},"Resources":[${this.parts.join(',')}]}`;
  }
}

/**
 * How long building one list page may hold the event loop before other requests are served. A
 * page of users at the limits is 1 MiB of JSON from fifteen users, several milliseconds of work
 * that other organisations' lookups would otherwise wait behind.
 */
const PAGE_SLICE_MS = 2;

/**
 * `add`s the items in order until one answers false, yielding to other requests every
 * PAGE_SLICE_MS; the number added. The page is the same as built in one go: the items were read
 * before, and each is added as it is read.
 */
async function inTurns<T>(items: readonly T[], add: (item: T) => Promise<boolean>): Promise<number> {
  let added = 0;
  let since = performance.now();
  for (const item of items) {
    if (performance.now() - since > PAGE_SLICE_MS) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      since = performance.now();
    }
    if (!(await add(item))) break;
    added++;
  }
  return added;
}

function sendPage(res: Response, page: Page, total: number, startIndex: number): void {
  res.status(200).type(SCIM_TYPE).send(page.body(total, startIndex));
}

/** If-Match (RFC 7644 §3.14, RFC 7232 §3.1): the version the caller last saw, if it said. */
function ifMatch(req: Request): number | undefined {
  const version = versionFromHeader(req.get('if-match'));
  if (version === 'unparseable')
    throw new PreconditionFailedError('If-Match must be an entity tag such as W/"3".');
  return version;
}

function notModified(req: Request, version: number): boolean {
  const header = req.get('if-none-match');
  return (
    header !== undefined &&
    header.split(',').some((tag) => tag.trim() === '*' || versionFromHeader(tag) === version)
  );
}

export function createScimRouter(deps: ScimDeps): Router {
  const { directory, tokens, logger } = deps;
  const base = `${deps.publicBaseUrl}${SCIM_PATH}`;
  // This app's own discovery documents: another app of the process may be served elsewhere.
  const documents = discoveryAt(base);
  const patches = deps.patchPool ?? sharedPatchPool();
  // An organisation's heavy work runs one piece at a time: a list (on a reader thread,
  // db/sqlite/directory-reader.ts) or a user PATCH (on a PATCH thread, scim/patch-pool.ts). Each pool
  // already runs one job per organisation; together they would still let one organisation keep
  // a reader and a PATCH thread busy at once, both cores of a small server, and every other
  // organisation's lookups would wait for CPU. Its own requests queue behind each other instead.
  const oneHeavyAtATime = keyedQueue();
  const heavy = {
    listUsers: (organisationId: number, page: Parameters<Directory['listUsers']>[1]) =>
      oneHeavyAtATime(String(organisationId), () => directory.listUsers(organisationId, page)),
    listGroups: (organisationId: number, page: Parameters<Directory['listGroups']>[1]) =>
      oneHeavyAtATime(String(organisationId), () => directory.listGroups(organisationId, page)),
    patchUser: (organisationId: number, current: Json, operations: ReturnType<typeof normalisePatch>) =>
      oneHeavyAtATime(String(organisationId), () => patches.apply(organisationId, current, operations)),
  };
  const limiter = createRateLimiter(deps.rateLimit);
  const organisationLimiter = createRateLimiter(deps.organisationRateLimit ?? { perSecond: 0, burst: 1 });
  const router = express.Router();

  const userJson = async (publicId: string, organisationId: number): Promise<Json> => {
    const member = await directory.getUser(organisationId, publicId);
    return toScimUser(member, await directory.groupsOf(member.id), base);
  };

  // Authentication first: nothing, not even discovery, answers an unknown caller (RFC 7644 §2).
  router.use(async (req, res, next) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '');
    try {
      if (!match) throw new AuthError('Send the SCIM token as "Authorization: Bearer <token>".');
      res.locals.caller = await tokens.authenticate(match[1]!);
    } catch (error) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="seatkeeper-scim"');
      next(error);
      return;
    }
    const { tokenId, organisationId } = caller(res);
    const tokenWait = limiter.take(String(tokenId));
    const wait = tokenWait > 0 ? tokenWait : organisationLimiter.take(String(organisationId));
    if (wait > 0) {
      // RFC 6585 §4; Okta and Entra both back off on Retry-After.
      res.setHeader('Retry-After', String(Math.ceil(wait)));
      const whose = tokenWait > 0 ? 'this token' : 'this organisation (all its tokens)';
      next(
        new ScimError(429, undefined, `Too many requests for ${whose}; retry after ${Math.ceil(wait)} s.`),
      );
      return;
    }
    next();
  });

  // RFC 8259 §8.1: JSON exchanged between systems is UTF-8. The body parser would otherwise decode
  // a body labelled UTF-16 (or any "utf-" charset) under that label, and a byte it cannot read
  // becomes nothing: "{" sent as UTF-16 read as an empty SearchRequest listed every user. A
  // declared charset other than UTF-8 is refused before the body is read, whatever the body.
  router.use((req, _res, next) => {
    const charset = declaredCharset(req.headers['content-type']);
    if (charset !== undefined && charset !== 'utf-8') {
      next(
        new ScimError(
          415,
          undefined,
          `A SCIM request body is UTF-8 JSON (RFC 8259 §8.1); charset "${charset}" is not accepted.`,
        ),
      );
      return;
    }
    next();
  });

  router.use(
    express.json({
      type: ['application/scim+json', 'application/json'],
      limit: MAX_PAYLOAD,
      strict: true,
      // RFC 8259 §8.1: JSON text is UTF-8. The parser would turn invalid bytes into U+FFFD and
      // store that silently; the client's data is refused instead (400 invalidSyntax).
      verify: (req, _res, buffer) => {
        if (!isUtf8(buffer))
          throw new ScimError(400, 'invalidSyntax', 'The request body is not valid UTF-8 (RFC 8259 §8.1).');
        // Measured before it is parsed: a User larger than this is refused at no cost.
        if ((req.method === 'POST' || req.method === 'PUT') && USER_BODY.test(req.url ?? '')) {
          if (buffer.length > MAX_USER_BYTES) {
            throw new ScimError(
              413,
              undefined,
              `A User is at most ${MAX_USER_BYTES} bytes of JSON; this one is ${buffer.length}.`,
            );
          }
        }
      },
    }),
  );

  // U+0000 anywhere in a body (a key or a value, raw or as the escape \u0000): 400 invalidValue on
  // either backend, before anything is read or written (domain/nul.ts). A filter, in the query or
  // a SearchRequest, is the filter parser's to refuse (invalidFilter), as any filter it cannot
  // take; an id in the path is checked for its form before any lookup (404), and the other query
  // parameters reach no store.
  router.use((req, _res, next) => {
    const search = req.method === 'POST' && SEARCH.test(req.path) && isObject(req.body);
    refuseNul(search ? { ...(req.body as Json), filter: undefined } : req.body, 'body');
    next();
  });

  // Discovery (RFC 7644 §4), generated from the declared schemas so it never claims more than is done.
  router.get('/ServiceProviderConfig', (_req, res) => send(res, 200, documents.serviceProviderConfig()));
  router.get('/ResourceTypes', (_req, res) => send(res, 200, documents.resourceTypes()));
  router.get('/ResourceTypes/:id', (req, res) => send(res, 200, documents.resourceType(req.params.id)));
  router.get('/Schemas', (_req, res) => send(res, 200, documents.schemas()));
  router.get('/Schemas/:id', (req, res) => send(res, 200, documents.schema(req.params.id)));

  // --- Users --------------------------------------------------------------------------------------

  const listUsers = async (res: Response, q: Query) => {
    const { total, members } = await heavy.listUsers(caller(res).organisationId, {
      filter: q.filter,
      sortBy: q.sortBy,
      descending: q.descending,
      offset: q.startIndex - 1,
      limit: q.count,
      maxBytes: MAX_PAGE_BYTES,
    });
    const page = new Page();
    await inTurns(members, async (m) =>
      page.add(
        project(toScimUser(m, await directory.groupsOf(m.id), base), q.attributes, q.excludedAttributes),
      ),
    );
    sendPage(res, page, total, q.startIndex);
  };
  router.get('/Users', (req, res) => listUsers(res, readQuery(req.query as Json)));
  router.post('/Users/.search', (req, res) => listUsers(res, readQuery(searchBody(req))));

  router.get('/Users/:id', async (req, res) => {
    const user = await userJson(req.params.id, caller(res).organisationId);
    const version = Number(/\d+/.exec(String((user.meta as Json).version))![0]);
    if (notModified(req, version)) {
      send(res.setHeader('ETag', etag(version)), 304);
      return;
    }
    res.setHeader('ETag', etag(version));
    send(
      res,
      200,
      project(
        user,
        text(req.query.attributes, 'attributes'),
        text(req.query.excludedAttributes, 'excludedAttributes'),
      ),
    );
  });

  // Writes are answered only after their transaction committed; requests that arrive together
  // share it (directory.batched: one fsync for many creates, each in its own savepoint).
  router.post('/Users', async (req, res) => {
    const input = fromScimUser(normaliseResource(req.body));
    provisioning(res, input.userName);
    const member = await directory.createUser(caller(res).organisationId, input, actorOf(res));
    const user = toScimUser(member, [], base);
    res.setHeader('Location', String((user.meta as Json).location)); // RFC 7644 §3.3: SHALL
    res.setHeader('ETag', etag(member.version));
    send(res, 201, user);
  });

  router.put('/Users/:id', async (req, res) => {
    const input = fromScimUser(normaliseResource(req.body));
    const expected = ifMatch(req);
    provisioning(res, input.userName);
    const member = await directory.replaceUser(
      caller(res).organisationId,
      req.params.id,
      input,
      actorOf(res),
      expected,
    );
    res.setHeader('ETag', etag(member.version));
    send(res, 200, toScimUser(member, await directory.groupsOf(member.id), base));
  });

  router.patch('/Users/:id', async (req, res) => {
    const operations = normalisePatch(req.body, 'User');
    const organisationId = caller(res).organisationId;
    const expected = ifMatch(req);
    // Read, patch, write back guarded by the version read, again on a concurrent change: the
    // directory's changeUser (412 only if the caller pinned a version with If-Match).
    const member = await directory.changeUser(
      organisationId,
      req.params.id,
      async (current, groups) => {
        const json = toScimUser(current, groups, base);
        // A small PATCH (what identity providers send: a few operations on a user of a kilobyte or
        // two) costs less than the trip to a thread and is applied here; a large one on a PATCH
        // thread, while this loop serves other requests.
        const patched =
          operations.length <= INLINE_PATCH_OPERATIONS && JSON.stringify(json).length <= INLINE_PATCH_BYTES
            ? await applyUserPatch(json, operations)
            : await heavy.patchUser(organisationId, json, operations);
        const input = fromScimUser(patched);
        provisioning(res, input.userName);
        return input;
      },
      actorOf(res),
      expected,
    );
    res.setHeader('ETag', etag(member.version));
    send(res, 200, toScimUser(member, await directory.groupsOf(member.id), base));
  });

  router.delete('/Users/:id', async (req, res) => {
    await directory.deleteUser(caller(res).organisationId, req.params.id, actorOf(res), ifMatch(req));
    send(res, 204);
  });

  // --- Groups -------------------------------------------------------------------------------------

  const groupJson = async (organisationId: number, publicId: string, withMembers: boolean): Promise<Json> => {
    const group = await directory.getGroup(organisationId, publicId);
    return toScimGroup(group, withMembers ? await directory.groupMembers(group) : undefined, base);
  };
  const groupResource = async (g: Group, withMembers: boolean, q: Query): Promise<Json> =>
    project(
      toScimGroup(g, withMembers ? await directory.groupMembers(g) : undefined, base),
      q.attributes,
      q.excludedAttributes,
    );
  const wantsMembers = (q: { attributes: string | undefined; excludedAttributes: string | undefined }) =>
    !/(^|,)\s*members\s*(,|$)/i.test(q.excludedAttributes ?? '') &&
    (q.attributes === undefined || /(^|,)\s*members/i.test(q.attributes));

  const listGroups = async (res: Response, q: Query) => {
    const { total, groups } = await heavy.listGroups(caller(res).organisationId, {
      filter: q.filter,
      sortBy: q.sortBy,
      descending: q.descending,
      offset: q.startIndex - 1,
      limit: q.count,
    });
    const withMembers = wantsMembers(q);
    const page = new Page();
    // Full is checked before the members are read: one group of 50,000 members fills a page alone.
    await inTurns(groups, async (g) => !page.full && page.add(await groupResource(g, withMembers, q)));
    sendPage(res, page, total, q.startIndex);
  };
  router.get('/Groups', (req, res) => listGroups(res, readQuery(req.query as Json)));
  router.post('/Groups/.search', (req, res) => listGroups(res, readQuery(searchBody(req))));

  router.get('/Groups/:id', async (req, res) => {
    const attributes = text(req.query.attributes, 'attributes');
    const excludedAttributes = text(req.query.excludedAttributes, 'excludedAttributes');
    const group = await groupJson(
      caller(res).organisationId,
      req.params.id,
      wantsMembers({ attributes, excludedAttributes }),
    );
    const version = Number(/\d+/.exec(String((group.meta as Json).version))![0]);
    res.setHeader('ETag', etag(version));
    if (notModified(req, version)) {
      send(res, 304);
      return;
    }
    send(res, 200, project(group, attributes, excludedAttributes));
  });

  router.post('/Groups', async (req, res) => {
    const group = await directory.createGroup(
      caller(res).organisationId,
      fromScimGroup(normaliseResource(req.body, 'Group')),
      actorOf(res),
    );
    const body = toScimGroup(group, await directory.groupMembers(group), base);
    res.setHeader('Location', String((body.meta as Json).location));
    res.setHeader('ETag', etag(group.version));
    send(res, 201, body);
  });

  router.put('/Groups/:id', async (req, res) => {
    const input = fromScimGroup(normaliseResource(req.body, 'Group'));
    const group = await directory.changeGroup(
      caller(res).organisationId,
      req.params.id,
      [
        { kind: 'rename', displayName: input.displayName },
        { kind: 'externalId', externalId: input.externalId },
        { kind: 'replace', members: input.members },
      ],
      actorOf(res),
      ifMatch(req),
    );
    res.setHeader('ETag', etag(group.version));
    send(res, 200, toScimGroup(group, await directory.groupMembers(group), base));
  });

  // 204 on success: Entra expects it, and RFC 7644 §3.5.2 allows it.
  router.patch('/Groups/:id', async (req, res) => {
    const group = await directory.changeGroup(
      caller(res).organisationId,
      req.params.id,
      groupChanges(normalisePatch(req.body, 'Group')),
      actorOf(res),
      ifMatch(req),
    );
    res.setHeader('ETag', etag(group.version));
    send(res, 204);
  });

  router.delete('/Groups/:id', async (req, res) => {
    await directory.deleteGroup(caller(res).organisationId, req.params.id, actorOf(res), ifMatch(req));
    send(res, 204);
  });

  // A search at the root covers every resource type (RFC 7644 §3.4.3): Users, then Groups, paged as
  // one list. A filter or sortBy naming an attribute that one type lacks matches none of that type.
  router.post('/.search', async (req, res) => {
    const q = readQuery(searchBody(req));
    const organisationId = caller(res).organisationId;
    const page = (offset: number, limit: number) => ({
      filter: q.filter,
      sortBy: q.sortBy,
      descending: q.descending,
      offset,
      limit,
    });
    const [userTotal, groupTotal] = await Promise.all([
      unlessUnknownAttribute(async () => (await heavy.listUsers(organisationId, page(0, 0))).total),
      unlessUnknownAttribute(async () => (await heavy.listGroups(organisationId, page(0, 0))).total),
    ]);
    if (userTotal === undefined && groupTotal === undefined)
      await heavy.listUsers(organisationId, page(0, 0)); // throws its 400
    const offset = q.startIndex - 1;
    const users =
      userTotal && offset < userTotal
        ? (await heavy.listUsers(organisationId, { ...page(offset, q.count), maxBytes: MAX_PAGE_BYTES }))
            .members
        : [];
    const list = new Page();
    const added = await inTurns(users, async (m) =>
      list.add(
        project(toScimUser(m, await directory.groupsOf(m.id), base), q.attributes, q.excludedAttributes),
      ),
    );
    // Groups follow only a page that took every user left: a page cut short by its size ends in
    // the users, so the next one (at startIndex + itemsPerPage) goes on with them.
    const usersLeft = Math.max(0, (userTotal ?? 0) - offset);
    const groupLimit = q.count - added;
    const groups =
      groupTotal && groupLimit > 0 && added >= usersLeft && !list.full
        ? (await heavy.listGroups(organisationId, page(Math.max(0, offset - (userTotal ?? 0)), groupLimit)))
            .groups
        : [];
    const withMembers = wantsMembers(q);
    await inTurns(groups, async (g) => !list.full && list.add(await groupResource(g, withMembers, q)));
    sendPage(res, list, (userTotal ?? 0) + (groupTotal ?? 0), q.startIndex);
  });

  router.use((req, _res, next) =>
    next(new ScimError(404, undefined, `No SCIM endpoint ${req.method} ${req.path}.`)),
  );

  // The one place SCIM errors are written (RFC 7644 §3.12), by the one table (scim/errors.ts).
  router.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const scimError = toScimError(error, { provisioning: res.locals.provisioning as string | undefined });
    if (scimError) {
      send(res, scimError.status, errorBody(scimError));
      return;
    }
    logger.error({ err: error, method: req.method, path: req.path }, 'SCIM request failed');
    send(res, 500, errorBody(new ScimError(500, undefined, 'Internal server error.')));
  });

  return router;
}

/**
 * Notes the User a create, replace or PATCH is about to write: a refusal for want of a seat then
 * says, besides the fix, that the directory recorded the attempt on the waiting list (the error
 * table in scim/errors.ts; Okta shows the detail to the administrator).
 */
function provisioning(res: Response, userName: string): void {
  res.locals.provisioning = userName;
}

/** The result, or undefined when the filter or sort names an attribute this resource type lacks. */
async function unlessUnknownAttribute<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    // The storage's compiler marks an attribute the resource type does not have.
    if (error instanceof ValidationError && error.details.reason === 'unknown_attribute') {
      return undefined;
    }
    throw error;
  }
}

/** A SearchRequest body (RFC 7644 §3.4.3). */
function searchBody(req: Request): Json {
  if (!isObject(req.body))
    throw new ScimError(400, 'invalidSyntax', 'A search needs a SearchRequest JSON object.');
  return req.body;
}

/** The charset parameter of a Content-Type (RFC 9110 §8.3.2), lower-cased; undefined when none. */
function declaredCharset(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined;
  const match = /;\s*charset\s*=\s*(?:"([^"]*)"|([^;\s]*))/i.exec(contentType);
  if (match === null) return undefined;
  return (match[1] ?? match[2] ?? '').toLowerCase();
}
