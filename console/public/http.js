// @ts-check
// The console's one way to call the admin API (/api/v1): JSON in and out, the session cookie sent by
// the browser, the CSRF token on every state-changing request, and problem documents (RFC 9457)
// turned into ApiError, whose field errors point (RFC 6901) into the body that was sent.
/* global fetch, URLSearchParams */
import { t } from './i18n.js';

export const API = '/api/v1';

/** @typedef {{ in?: string, pointer: string, detail: string }} FieldError */
/**
 * @typedef {{ type?: string, title?: string, status: number, code: string, detail?: string,
 *   errors?: FieldError[], requiredRole?: string, [extension: string]: unknown }} Problem
 */

/** A refusal or failure of the admin API, with the problem document it answered. */
export class ApiError extends Error {
  /** @param {Problem} problem */
  constructor(problem) {
    super(problem.detail ?? problem.title ?? t('http.answered', { status: problem.status }));
    this.name = 'ApiError';
    this.problem = problem;
    this.status = problem.status;
    this.code = problem.code;
  }
}

/** @type {string | null} */
let csrfToken = null;

/** The anti-forgery token of the session (from GET /session), sent with every unsafe method. */
export function useCsrfToken(/** @type {string | null} */ token) {
  csrfToken = token;
}

/** @type {((error: ApiError) => void) | null} */
let onSessionEnded = null;

/** Called when a request finds the session gone (401), so the console can ask to sign in again. */
export function whenSessionEnds(/** @type {(error: ApiError) => void} */ handler) {
  onSessionEnded = handler;
}

/**
 * Calls the admin API and returns the parsed JSON answer (undefined for 204).
 * @param {'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'} method
 * @param {string} path under /api/v1, with its query
 * @param {unknown} [body]
 * @param {{ quietAuth?: boolean }} [options] quietAuth: a 401 is the caller's to handle
 * @returns {Promise<unknown>}
 */
export async function call(method, path, body, options = {}) {
  /** @type {Record<string, string>} */
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  /** @type {Response} */
  let res;
  try {
    res = await fetch(`${API}${path}`, {
      method,
      headers,
      credentials: 'same-origin',
      cache: 'no-store',
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch {
    throw new ApiError({
      status: 0,
      code: 'network_error',
      title: t('http.noConnection'),
      detail: t('http.unreachable'),
    });
  }
  if (res.status === 204) return undefined;
  const type = res.headers.get('content-type') ?? '';
  const parsed = /json/.test(type) ? await res.json().catch(() => null) : null;
  if (res.ok) return parsed;
  const problem = /** @type {Problem} */ (
    parsed && typeof parsed === 'object'
      ? { status: res.status, code: 'error', ...parsed }
      : { status: res.status, code: 'error', title: res.statusText }
  );
  const error = new ApiError(problem);
  if (res.status === 401 && !options.quietAuth) onSessionEnded?.(error);
  throw error;
}

/** A query string from the values that are set: `?a=1&b=x`, or ''. */
export function query(/** @type {Record<string, string | number | undefined | null>} */ values) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}
