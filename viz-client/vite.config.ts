// The viz client is built into static files that glougloud's viz server
// serves at `/` (dist/viz-client). Everything is bundled: no request leaves
// the page but the WebSocket back to the server it came from.
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  base: './',
  logLevel: 'warn',
  build: {
    outDir: '../dist/viz-client',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    chunkSizeWarningLimit: 1500,
    assetsInlineLimit: 0,
    // The plugin timing report is noise on a loaded build machine.
    rolldownOptions: { checks: { pluginTimings: false } },
  },
});
