import helmet from 'helmet';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Helmet's options for this service: its defaults, with a CSP under which Swagger UI works. */
const HELMET_OPTIONS: Parameters<typeof helmet>[0] = {
  contentSecurityPolicy: {
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
      frameAncestors: ["'none'"],
      // The dev stack serves plain HTTP: upgrading Swagger UI's own requests to HTTPS would break it.
      upgradeInsecureRequests: null,
    },
  },
};

/**
 * The security headers helmet sets, computed once. (@fastify/helmet builds helmet's middleware again on
 * every request, re-parsing the CSP each time; the headers never change, so they are worked out here once
 * by running helmet against a recording response, and every answer gets the same map.)
 */
export function securityHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  const response = {
    setHeader: (name: string, value: string | number | string[]) => {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
    },
    removeHeader: (name: string) => {
      delete headers[name.toLowerCase()];
    },
    getHeader: (name: string) => headers[name.toLowerCase()],
  } as unknown as ServerResponse;
  let failure: unknown;
  helmet(HELMET_OPTIONS)({} as IncomingMessage, response, (error?: unknown) => {
    failure = error;
  });
  if (failure) throw failure;
  return headers;
}

/**
 * Headers for JSON answers. The helmet set guards documents a browser renders (CSP, framing, cross-origin
 * policies); an API answer needs only these, and the other nine headers cost about 3.5 us and 650 bytes on every
 * /predict answer. HSTS is left to whoever terminates TLS (this service speaks plain HTTP behind it).
 */
export const API_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
};

/** The routes that serve HTML (Swagger UI and its assets): they get helmet's full set. */
export const isDocument = (url: string) => url === '/docs' || url.startsWith('/docs/') || url.startsWith('/docs?');
