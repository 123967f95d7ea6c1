// Serves the admin web console at /console: its static files, and its page shell for every path
// the console routes in the browser, each with a strict Content-Security-Policy. The console is a
// client of the admin API only; nothing here reads data.
import { createRequire } from 'node:module';
import { basename, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Response, type Router } from 'express';

export const CONSOLE_PATH = '/console';

/** The browser files (HTML, CSS, ES modules); dist/console/public after a build. */
const PUBLIC_DIR = fileURLToPath(new URL('./public/', import.meta.url));

/**
 * Browser bundles served from node_modules as they are installed, no copy kept in the tree: the
 * ICU MessageFormat library (one self-contained ES module) the console's i18n.js imports.
 * Absolute paths of the installed files, by the name the console asks for.
 */
export const VENDOR_FILES: Readonly<Record<string, string>> = {
  'intl-messageformat.js': createRequire(import.meta.url).resolve(
    'intl-messageformat/intl-messageformat.esm.js',
  ),
};

export interface ConsoleRouterOptions {
  /** The vendor bundles to serve (default VENDOR_FILES); tests point it at files they place. */
  readonly vendorFiles?: Readonly<Record<string, string>>;
}

/**
 * The console's own pages (paths below /console), as its client-side router knows them
 * (public/shell.js, ROUTES): the shell answers them with 200, any other path with 404 (and the
 * shell then says "not found"), so a bookmark or a reload of any console page works.
 */
const PAGES: readonly RegExp[] = [
  /^\/?$/,
  /^\/(sign-in|accept-invitation|confirm-transfer|ask-for-seat|profile)\/?$/,
  /^\/(members|billing|invoices|usage|identity|audit|seat-requests)\/?$/,
  /^\/members\/\d+\/?$/,
  /^\/invoices\/[\w-]+\/?$/,
];

/**
 * No script, style, image or connection from anywhere but this origin, no inline script, no
 * framing (clickjacking), no <base> or plugin tricks, forms post only here (CSP Level 3).
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

function securityHeaders(res: Response): void {
  res.setHeader('content-security-policy', CONSOLE_CSP);
  res.setHeader('x-content-type-options', 'nosniff');
  // Sign-in and invitation secrets travel in URL fragments, which are never sent in a Referer;
  // sending no Referer at all keeps even the paths to ourselves.
  res.setHeader('referrer-policy', 'no-referrer');
  res.setHeader('x-frame-options', 'DENY');
  res.setHeader('cross-origin-opener-policy', 'same-origin');
}

export function createConsoleRouter(options: ConsoleRouterOptions = {}): Router {
  const vendorFiles = options.vendorFiles ?? VENDOR_FILES;
  const router = express.Router({ strict: false });
  router.use((_req, res, next) => {
    securityHeaders(res);
    next();
  });
  // Files change only with a release and carry no hash in their names: revalidate every time.
  router.get('/assets/vendor/:file', (req, res, next) => {
    const file = Object.hasOwn(vendorFiles, req.params.file) ? vendorFiles[req.params.file] : undefined;
    if (!file) {
      next();
      return;
    }
    res.setHeader('cache-control', 'no-cache');
    res.type('text/javascript');
    // Relative to its own directory: the dotfile rule then looks at the file's name only. With an
    // absolute path it looks at every directory above it, and an installation under a hidden
    // directory (~/.cache/…, ~/.local/…) answered 404 for the console's own library.
    res.sendFile(basename(file), { root: dirname(file) }, (error) => {
      if (error) next(error);
    });
  });
  router.use(
    '/assets',
    express.static(PUBLIC_DIR, {
      index: false,
      fallthrough: true,
      redirect: false,
      setHeaders: (res) => res.setHeader('cache-control', 'no-cache'),
    }),
  );
  router.get(/.*/, (req, res, next) => {
    if (req.path.startsWith('/assets/')) {
      next();
      return;
    }
    const known = PAGES.some((page) => page.test(req.path));
    res.status(known ? 200 : 404);
    res.setHeader('cache-control', 'no-cache');
    res.sendFile('index.html', { root: PUBLIC_DIR }, (error) => {
      if (error) next(error);
    });
  });
  return router;
}
