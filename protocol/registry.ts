import type { ModuleSpec } from './fields.js';
import { internalModule } from './modules/0-internal.js';
import { netModule } from './modules/1-net.js';
import { processModule } from './modules/2-process.js';

/** Every module this build speaks. Adding a module: one file in modules/ and one line here. */
export const MODULES: readonly ModuleSpec[] = [internalModule, netModule, processModule];
