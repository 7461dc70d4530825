// `import path from "x.wasm" with { type: "file" }` gives the file's path (a $bunfs path
// inside a `bun build --compile` binary), which src/engine/wasm-module.ts reads.
declare module "*.wasm" {
  const path: string;
  export default path;
}
