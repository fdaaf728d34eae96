import type { FastifyInstance } from 'fastify';

/**
 * The console's Content-Security-Policy. Scripts only from this server (Vite's build has no inline
 * script); styles also inline, because antd and CodeMirror inject `<style>` elements at run time.
 * `frame-ancestors 'none'` (with X-Frame-Options for older browsers) keeps the console out of frames.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const HEADERS: Record<string, string> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/** Every answer, console and API alike, carries the headers (set first, so error answers have them too). */
export function registerSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onRequest', (_request, reply, done) => {
    void reply.headers(HEADERS);
    done();
  });
}
