// Writes spec/vectors/*.json from the hand-written vectors in this folder.
// Run from the repository root: node scripts/vectors-tool/build.mjs
import { writeFileSync } from 'node:fs';
import { toJson } from './lib.mjs';
import { module0 } from './vectors-0.mjs';
import { module1 } from './vectors-1.mjs';
import { module2 } from './vectors-2.mjs';
import { datagram } from './vectors-datagram.mjs';
import { session } from './vectors-session.mjs';

const out = new URL('../../spec/vectors/', import.meta.url);
const files = { 'module-0.json': module0, 'module-1.json': module1, 'module-2.json': module2, 'datagram.json': datagram, 'session.json': session };
for (const [name, v] of Object.entries(files)) {
  writeFileSync(new URL(name, out), toJson(v));
  console.log(name, Array.isArray(v) ? v.length : Object.fromEntries(Object.entries(v).map(([k, x]) => [k, x.length])));
}
