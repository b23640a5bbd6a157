// binary-parser's package exports give no types to ESM imports; point them at its own declarations.
declare module 'binary-parser' {
  export { Parser } from 'binary-parser/dist/binary_parser.js';
}
