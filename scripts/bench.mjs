#!/usr/bin/env node
// `npm run bench -- NAME [args]`: runs scripts/bench/NAME.mjs against the built code.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = join(dirname(fileURLToPath(import.meta.url)), 'bench');
const names = readdirSync(here).filter((f) => f.endsWith('.mjs')).map((f) => f.slice(0, -4));
const [name, ...args] = process.argv.slice(2);
if (!name || !names.includes(name)) {
  console.error(`usage: npm run bench -- NAME\nbenchmarks: ${names.join(', ')}`);
  process.exit(2);
}
const mod = await import(join(here, `${name}.mjs`));
await mod.run(args);
