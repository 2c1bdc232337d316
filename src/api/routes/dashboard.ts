/**
 * /dashboard: one HTML page and its small scripts, served by the API itself (no build server, no
 * CDN: uPlot comes from node_modules). The page holds no data; its script reads the API with the
 * session cookie (src/api/session.ts) and asks for a login when it gets a 401.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { projectRoot } from '../../paths';
import { sendError } from '../errors';
import { sameOriginOrSafe, setSessionCookie } from '../session';

const root = projectRoot();
const ASSETS: Record<string, { file: string; type: string }> = {
  ...Object.fromEntries(['core.js', 'overview.js', 'pages.js', 'app.js'].map((name) => [name, { file: path.join(root, 'src/report/dashboard', name), type: 'text/javascript; charset=utf-8' }])),
  'app.css': { file: path.join(root, 'src/report/dashboard/app.css'), type: 'text/css; charset=utf-8' },
  'uPlot.iife.min.js': { file: path.join(root, 'node_modules/uplot/dist/uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
  'uPlot.min.css': { file: path.join(root, 'node_modules/uplot/dist/uPlot.min.css'), type: 'text/css; charset=utf-8' },
};
const PAGE = path.join(root, 'src/report/dashboard/index.html');

/** Routes the API serves without a key: the page and its assets, and the login itself. */
export function isDashboardPublic(method: string, urlPath: string): boolean {
  if (method === 'GET' && (urlPath === '/dashboard' || urlPath.startsWith('/dashboard/assets/'))) return true;
  return urlPath === '/dashboard/session';
}

// Scripts only from this origin, and no framing: a page of another site cannot overlay the pause button.
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

export function dashboardRoutes(app: FastifyInstance, isAuthorized: (authorization: string | undefined) => boolean): void {
  // Read once: the files are part of the release.
  const page = fs.readFileSync(PAGE);
  const assets = new Map(Object.entries(ASSETS).map(([name, a]) => [name, { body: fs.readFileSync(a.file), type: a.type }]));

  app.get('/dashboard', async (_request, reply) => reply.headers({ ...SECURITY_HEADERS, 'cache-control': 'no-store' }).type('text/html; charset=utf-8').send(page));

  app.get<{ Params: { name: string } }>('/dashboard/assets/:name', async (request, reply) => {
    const asset = assets.get(request.params.name);
    if (!asset) return sendError(reply, 404, 'not_found', `no dashboard asset ${request.params.name}`);
    return reply.headers({ ...SECURITY_HEADERS, 'cache-control': 'no-cache' }).type(asset.type).send(asset.body);
  });

  // Log in: the key goes in the body of a same-origin POST, and comes back only as an HttpOnly cookie.
  app.post<{ Body: { apiKey?: unknown } | undefined }>('/dashboard/session', async (request, reply) => {
    if (!sameOriginOrSafe(request)) return sendError(reply, 403, 'cross_site', 'log in from the dashboard page itself');
    const key = request.body?.apiKey;
    if (typeof key !== 'string' || key.length === 0 || key.length > 512 || /[\s;,]/.test(key)) {
      return sendError(reply, 400, 'invalid_request', 'apiKey: must be an API key', { issues: [{ field: 'apiKey', message: 'must be an API key' }] });
    }
    if (!isAuthorized(`Bearer ${key}`)) return sendError(reply, 401, 'unauthorized', 'that API key is not valid');
    setSessionCookie(request, reply, key);
    return reply.code(204).send();
  });

  app.delete('/dashboard/session', async (request, reply) => {
    if (!sameOriginOrSafe(request)) return sendError(reply, 403, 'cross_site', 'log out from the dashboard page itself');
    setSessionCookie(request, reply, undefined);
    return reply.code(204).send();
  });
}
