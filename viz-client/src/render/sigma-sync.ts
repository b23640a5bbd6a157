/**
 * Batches of graph changes handed to sigma in one go. Sigma listens to every
 * graph event, and answers each node or edge removal with a full re-index of
 * the graph: a diff removing a hundred elements from a graph of 40,000 would
 * cost a hundred full passes. While a batch is applied, sigma's graph
 * listeners are detached; afterwards it is told what changed, element by
 * element, and reindexes once at its next frame. This uses sigma 3's
 * internal per-element methods: if a sigma version lacks them, batches fall
 * back to sigma's own (slower, always correct) event handling.
 */
import type Sigma from 'sigma';
import type { Batch } from '../graph/mirror.js';

interface SigmaInternals {
  unbindGraphHandlers(): void;
  bindGraphHandlers(): void;
  addNode(key: string): void;
  removeNode(key: string): void;
  addEdge(key: string): void;
  removeEdge(key: string): void;
}

const METHODS: (keyof SigmaInternals)[] = ['unbindGraphHandlers', 'bindGraphHandlers', 'addNode', 'removeNode', 'addEdge', 'removeEdge'];

/**
 * Whether sigma will reindex the whole graph at its next render: a full
 * refresh is waiting (a hover, a new bounding box), and until then its
 * per-element indices are empty, so an element-wise repaint finds nothing
 * to repaint (and sigma throws). Unknown internals: assume it is.
 */
export function reindexPending(sigma: Sigma): boolean {
  const v = (sigma as unknown as { needToProcess?: unknown }).needToProcess;
  return typeof v === 'boolean' ? v : true;
}

/** Whether this sigma exposes what batching needs. */
export function canBatch(sigma: Sigma): boolean {
  const s = sigma as unknown as Record<string, unknown>;
  return METHODS.every((m) => typeof s[m] === 'function');
}

/**
 * Runs `apply` (which changes the graph and fills `batch`) with sigma's graph
 * listeners detached, then gives sigma the changes. Returns whether sigma
 * must reindex (elements came or went, or a snapshot replaced everything).
 */
export function applyBatch(sigma: Sigma, batch: Batch, apply: () => void): boolean {
  if (!canBatch(sigma)) { apply(); return batch.structural; }
  const s = sigma as unknown as SigmaInternals;
  s.unbindGraphHandlers();
  try {
    apply();
  } finally {
    s.bindGraphHandlers();
  }
  if (batch.reset) return true;
  const g = sigma.getGraph();
  for (const k of batch.edgesRemoved) s.removeEdge(k);
  for (const k of batch.nodesRemoved) s.removeNode(k);
  for (const k of batch.nodesAdded) if (g.hasNode(k)) s.addNode(k);
  for (const k of batch.edgesAdded) if (g.hasEdge(k)) s.addEdge(k);
  return batch.structural;
}
