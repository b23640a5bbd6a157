/**
 * Entry point: reads the view from the URL, starts the page, and connects
 * to the viz server the page came from (`/ws`, wss when served over https).
 */
import { App } from './app.js';
import { parseUrlState } from './url-state.js';

const { state, ignored } = parseUrlState(location.search);
const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
const app = new App(state, wsUrl);
if (ignored.length) console.warn(`glouglou: ignored URL parameters: ${ignored.join(', ')}`);

/** A handle for debugging from the console, the end-to-end tests and the browser benchmark. */
(window as unknown as { glouglou: unknown }).glouglou = {
  app,
  graph: app.graph,
  sigma: app.renderer.sigma,
  perf: app.perf,
  state: () => app.snapshotState(),
  /** Where a node is drawn, in CSS pixels from the graph container's corner (null if not drawn). */
  nodeViewport(key: string): { x: number; y: number; size: number } | null {
    const sigma = app.renderer.sigma, d = sigma.getNodeDisplayData(key);
    if (!d || d.hidden) return null;
    // From the graph position (display data is only framed at sigma's next render after a refresh).
    const a = sigma.getGraph().getNodeAttributes(key);
    const v = sigma.graphToViewport({ x: a.x, y: a.y });
    return { x: v.x, y: v.y, size: sigma.scaleSize(d.size) };
  },
};
app.start();
