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
