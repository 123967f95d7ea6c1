// How an admin API endpoint is declared: method, path, the lowest role that may call it, request
// schemas, and every status it may answer. The router enforces the declaration (authentication,
// role, strict input validation) before the handler runs, and the OpenAPI document is generated
// from the same declarations, so the documentation cannot drift from what the server does.
import type { Request, Response } from 'express';
import { z } from 'zod';
import type { Actor, Role } from '../domain/model.js';

/** Who is calling: a signed-in member (console session) or an organisation's API token. */
export interface ApiCaller {
  readonly organisationId: number;
  readonly actor: Actor;
  /** The member's role, or the token's. */
  readonly role: Role;
  /** The signed-in member; null for a token. */
  readonly memberId: number | null;
  readonly via: 'session' | 'token';
}

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** An answer; `T` is the JSON body the route's `response` schema describes. */
export interface Reply<T = unknown> {
  readonly status: number;
  /** JSON unless `type` says otherwise; absent for 204. */
  readonly body?: T;
  readonly type?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Instead of `body`: chunks sent as they come, with backpressure (exports too large to hold). */
  readonly stream?: AsyncIterable<string>;
}

/**
 * A response schema's type as a handler may answer it: read-only throughout, so the services'
 * read-only lists and records can be answered as they are.
 */
export type Answer<T> = T extends readonly (infer U)[]
  ? readonly Answer<U>[]
  : T extends object
    ? { readonly [K in keyof T]: Answer<T[K]> }
    : T;

export interface HandlerContext<P, Q, B> {
  readonly params: P;
  readonly query: Q;
  readonly body: B;
  readonly req: Request;
  readonly res: Response;
}

interface BaseRoute<P, Q, B, R> {
  readonly method: Method;
  /** Express-style path under /api/v1, e.g. `/members/:memberId`. */
  readonly path: string;
  /** One line for the OpenAPI document. */
  readonly summary: string;
  /**
   * The OpenAPI `operationId` (camelCase, unique): generated clients name their methods after it,
   * so it must not change once published. Without it, it is made from `summary`.
   */
  readonly operationId?: string;
  /** The OpenAPI tag: the console page or resource it belongs to. */
  readonly tag: string;
  readonly params?: z.ZodType<P>;
  readonly query?: z.ZodType<Q>;
  readonly body?: z.ZodType<B>;
  /**
   * Every status this route answers on purpose, with what it means. The router adds the statuses
   * every route shares (400 bad input, 401, 403 for a role, 413, 415); answering anything not
   * declared is a bug the tests catch.
   */
  readonly responses: Readonly<Record<number, string>>;
  /**
   * The JSON body of every success answer but 204, as a zod schema: the OpenAPI document describes
   * it (a schema with `.meta({ id })` becomes a shared component) and the handler's reply is typed
   * by it, so a handler answering another shape fails type checking.
   */
  readonly response?: z.ZodType<R>;
  /** The media type of the success body when it is not JSON (with `response` a string schema). */
  readonly responseType?: string;
}

/** Anyone may call it (signing in, accepting an invitation): the handler gets no caller. */
export interface PublicRoute<P = unknown, Q = unknown, B = unknown, R = unknown> extends BaseRoute<
  P,
  Q,
  B,
  R
> {
  readonly role: 'public';
  // NoInfer: the reply's type comes from `response` alone, so a wrong body is an error, not a widening.
  handle(ctx: HandlerContext<P, Q, B>): Reply<NoInfer<Answer<R>>> | Promise<Reply<NoInfer<Answer<R>>>>;
}

/** A caller with `role` or above (the product's roles table); `user` means any signed-in member. */
export interface GuardedRoute<P = unknown, Q = unknown, B = unknown, R = unknown> extends BaseRoute<
  P,
  Q,
  B,
  R
> {
  readonly role: Role;
  /** Members only: API tokens are refused (e.g. transferring primary ownership, a member's own profile). */
  readonly sessionOnly?: boolean;
  handle(
    ctx: HandlerContext<P, Q, B> & { readonly caller: ApiCaller },
  ): Reply<NoInfer<Answer<R>>> | Promise<Reply<NoInfer<Answer<R>>>>;
}

export type Route = PublicRoute<never, never, never, unknown> | GuardedRoute<never, never, never, unknown>;

/**
 * Declares a route; the type parameters come from the schemas, so handlers see parsed input and
 * must answer what `response` describes.
 */
export function route<P = Record<string, never>, Q = Record<string, never>, B = undefined, R = unknown>(
  spec: GuardedRoute<P, Q, B, R> | PublicRoute<P, Q, B, R>,
): Route {
  return spec as unknown as Route;
}

export const ok = <T>(body: T): Reply<T> => ({ status: 200, body });
export const created = <T>(body: T, location?: string): Reply<T> => ({
  status: 201,
  body,
  ...(location ? { headers: { location } } : {}),
});
export const noContent: Reply<never> = { status: 204 };

/**
 * A resource id in a path: digits only, no sign, no leading zero, at most 16 of them (below 2^53).
 * Number() would read `0x10`, `1e1` and ` 16` as 16 and so reach another resource than the one
 * named; these are refused (400) instead.
 */
export const Id = z
  .string()
  .regex(/^[1-9][0-9]{0,15}$/, 'must be a whole number from 1, in plain digits')
  .transform(Number)
  .pipe(z.number().int().max(Number.MAX_SAFE_INTEGER));

/** Drops undefined members, which `exactOptionalPropertyTypes` keeps apart from absent ones. */
export function defined<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]: Exclude<T[K], undefined>;
  };
}
