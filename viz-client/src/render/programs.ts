/**
 * The WebGL programs nodes and edges are drawn with, by edge kind and
 * style, and their variants for software WebGL. Sigma's programs draw each
 * node or edge as an instance of a few shared vertices; SwiftShader (what a
 * browser without a GPU, or a headless one, runs) pays for every instance
 * as for a draw of its own: in headless Chromium 10,000 instanced nodes
 * took six times as long to draw as the same triangles written out vertex
 * by vertex, whatever their size. There, the same shaders are fed plain
 * vertex arrays instead: each item's attributes repeated for each of its
 * vertices, followed by that vertex's constant data. The picture is the same.
 */
import { EdgeCurvedArrowProgram, default as EdgeCurveProgram } from '@sigma/edge-curve';
import {
  createEdgeArrowHeadProgram, createEdgeClampedProgram, createEdgeCompoundProgram, type EdgeProgramType, EdgeLineProgram, EdgeRectangleProgram,
  getAttributesItemsCount, type InstancedProgramDefinition, NodeCircleProgram, type NodeProgramType, type ProgramDefinition,
} from 'sigma/rendering';

/**
 * Program names by edge kind and style. Thickness costs fill rate, which
 * software WebGL lacks most: there, big pictures draw links as hairlines.
 */
export const EDGE_TYPES = Object.freeze({
  curved: { link: 'curve', hop: 'curveArrow' },
  straight: { link: 'rect', hop: 'arrow' },
  hairline: { link: 'line', hop: 'arrow' },
});

type Definition = ProgramDefinition | InstancedProgramDefinition;

/** What the flattening needs from a sigma program (typed loosely: node and edge programs take different arguments). */
interface ProgramLike {
  array: Float32Array;
  getDefinition(): Definition;
  processVisibleItem(index: number, start: number, ...rest: unknown[]): void;
}

/** A class mixin's base constructor must take `any[]` (TypeScript's rule for mixins). */
type ProgramClass = new (...args: any[]) => ProgramLike;

/** One item's layout: its own attributes (floats), then each vertex's constant data. */
interface Layout { own: number; constants: number[][] }

const flattened = new WeakMap<object, unknown>();

/**
 * The same program without instancing: every vertex carries the item's
 * attributes and its own constant data. A program that is not instanced
 * keeps working as it did.
 */
export function deinstanced<T extends NodeProgramType | EdgeProgramType>(Program: T): T {
  const known = flattened.get(Program);
  if (known) return known as T;
  const Base = Program as unknown as ProgramClass;
  class Flat extends Base {
    private layout: Layout | null | undefined;
    private scratch = new Float32Array(0);

    getDefinition(): Definition {
      const d = super.getDefinition();
      if (!('CONSTANT_ATTRIBUTES' in d)) return d;
      const { CONSTANT_ATTRIBUTES, CONSTANT_DATA: _data, ...plain } = d;
      return { ...plain, ATTRIBUTES: [...d.ATTRIBUTES, ...CONSTANT_ATTRIBUTES] };
    }

    processVisibleItem(index: number, start: number, ...rest: unknown[]): void {
      if (this.layout === undefined) {
        // Once: a definition is rebuilt (shader sources included) on every call.
        const d = super.getDefinition();
        this.layout = 'CONSTANT_ATTRIBUTES' in d ? { own: getAttributesItemsCount(d.ATTRIBUTES), constants: d.CONSTANT_DATA } : null;
        if (this.layout) this.scratch = new Float32Array(this.layout.own);
      }
      const l = this.layout;
      if (!l) { super.processVisibleItem(index, start, ...rest); return; }
      // The instanced writer fills one item's attributes; they are then laid out once per vertex.
      const out = this.array, scratch = this.scratch;
      this.array = scratch;
      try {
        super.processVisibleItem(index, 0, ...rest);
      } finally {
        this.array = out;
      }
      let i = start;
      for (const constant of l.constants) {
        out.set(scratch, i);
        i += l.own;
        for (const v of constant) out[i++] = v;
      }
    }
  }
  flattened.set(Program, Flat);
  return Flat as unknown as T;
}

/** The programs sigma is given: instanced where WebGL runs on a GPU, flattened where it runs in software. */
export function programClasses(software: boolean): { nodeProgramClasses: Record<string, NodeProgramType>; edgeProgramClasses: Record<string, EdgeProgramType> } {
  const f = software ? deinstanced : <T>(p: T): T => p;
  return {
    nodeProgramClasses: { circle: f(NodeCircleProgram) },
    edgeProgramClasses: {
      line: EdgeLineProgram,
      rect: f(EdgeRectangleProgram),
      arrow: createEdgeCompoundProgram([f(createEdgeClampedProgram()), f(createEdgeArrowHeadProgram())]),
      curve: f(EdgeCurveProgram),
      curveArrow: f(EdgeCurvedArrowProgram),
    },
  };
}
