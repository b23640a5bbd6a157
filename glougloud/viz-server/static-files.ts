/**
 * The built viz client, served read-only from one directory: the request
 * path is decoded, normalised and resolved inside the root (no "..", no NUL,
 * no dot files, symbolic links followed only if they stay inside), and sent
 * with its content type. When the client is not built, `/` explains how.
 */
import { createReadStream, realpathSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';

/** Content types by file extension. */
export const CONTENT_TYPES: Readonly<Record<string, string>> = Object.freeze({
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.map': 'application/json', '.svg': 'image/svg+xml',
  '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.gif': 'image/gif', '.ico': 'image/x-icon',
  '.webp': 'image/webp', '.woff': 'font/woff', '.woff2': 'font/woff2', '.ttf': 'font/ttf', '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm', '.topojson': 'application/json', '.geojson': 'application/geo+json',
});

/** Where a request path leads: a file inside the root, or why not. */
export function resolveStatic(root: string, urlPath: string): { ok: true; file: string } | { ok: false; status: 400 | 404 } {
  let p: string;
  try { p = decodeURIComponent(urlPath.split('?')[0]); } catch { return { ok: false, status: 400 }; }
  if (p.includes('\0') || p.includes('\\') || !p.startsWith('/')) return { ok: false, status: 400 };
  if (p.endsWith('/')) p += 'index.html';
  const rel = normalize(p).replace(/^\/+/, '');
  if (rel.split('/').some((s) => s === '..' || s.startsWith('.'))) return { ok: false, status: 404 };
  let realRoot: string, real: string;
  try {
    realRoot = realpathSync(root);
    real = realpathSync(join(realRoot, rel));
  } catch { return { ok: false, status: 404 }; }
  if (real !== realRoot && !real.startsWith(realRoot + sep)) return { ok: false, status: 404 };
  try { if (!statSync(real).isFile()) return { ok: false, status: 404 }; } catch { return { ok: false, status: 404 }; }
  return { ok: true, file: real };
}

/** True if the built client is there. */
export function clientBuilt(root: string): boolean {
  try { return statSync(join(root, 'index.html')).isFile(); } catch { return false; }
}

const PLACEHOLDER = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>glouglou</title></head>
<body><h1>glouglou</h1>
<p>The viz client is not built. Run <code>npm run build</code> (or <code>npm start</code>) and reload.</p>
<p>The viz protocol is at <code>/ws</code>; see <code>spec/viz-protocol.md</code>.</p>
</body></html>
`;

/** Serves a GET or HEAD for a static path; true if it answered. */
export function serveStatic(root: string, req: IncomingMessage, res: ServerResponse): boolean {
  const path = (req.url ?? '/').split('?')[0];
  if (!clientBuilt(root)) {
    if (path !== '/' && path !== '/index.html') return false;
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' });
    res.end(req.method === 'HEAD' ? undefined : PLACEHOLDER);
    return true;
  }
  const r = resolveStatic(root, path);
  if (!r.ok) {
    res.writeHead(r.status, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(r.status === 400 ? 'bad request\n' : 'not found\n');
    return true;
  }
  const type = CONTENT_TYPES[extname(r.file).toLowerCase()] ?? 'application/octet-stream';
  const size = statSync(r.file).size;
  res.writeHead(200, { 'content-type': type, 'content-length': size, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' });
  if (req.method === 'HEAD') { res.end(); return true; }
  const s = createReadStream(r.file);
  s.on('error', () => res.destroy());
  s.pipe(res);
  return true;
}
