// Loads the wasm32 build of usm-wasm-golden and checks that the simulator wrote, under wasm32,
// the bytes whose digest the native test pins. Usage: node run.mjs path/to/usm_wasm_golden.wasm
import { readFile } from "node:fs/promises";

const path = process.argv[2];
if (!path) {
  console.error("usage: node run.mjs <usm_wasm_golden.wasm>");
  process.exit(2);
}
const module = await WebAssembly.compile(await readFile(path));
// The module should need nothing from its host; any import it still declares (left by a
// dependency's browser glue) fails loudly if the simulator ever calls it.
const imports = {};
for (const imp of WebAssembly.Module.imports(module)) {
  if (imp.kind !== "function") {
    console.error(`${path}: unexpected ${imp.kind} import ${imp.module}.${imp.name}`);
    process.exit(1);
  }
  imports[imp.module] ??= {};
  imports[imp.module][imp.name] = () => {
    throw new Error(`the simulator called host import ${imp.module}.${imp.name}`);
  };
}
const instance = await WebAssembly.instantiate(module, imports);
// The exports return u64 as wasm i64: read them back unsigned, as Rust prints them.
const got = BigInt.asUintN(64, instance.exports.usm_golden_digest());
const want = BigInt.asUintN(64, instance.exports.usm_golden_expected());
console.log(`wasm32 digest ${got}, golden ${want}`);
if (got !== want) {
  console.error("the simulator's log under wasm32 differs from the native golden bytes");
  process.exit(1);
}
