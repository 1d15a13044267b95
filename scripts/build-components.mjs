// Builds the recommender component's variants (components/assembly) with AssemblyScript, as
// `npm run build` (and so `npm install`) builds the bandit kernel, then renames their exports to
// the canonical ABI's names for the WIT world (components/wit/recommender.wit):
// `<package>/<interface>@<version>#<function>` — what wit-bindgen emits for a core module, and
// what the SDK checks a module against. AssemblyScript cannot spell those names itself.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const asc = join(root, "node_modules", ".bin", "asc");
const out = join(root, "components", "build");
const VARIANTS = ["popularity", "explore", "shrunk", "broken-state", "broken-start"];
const NAMES = {
  capture: "evolvd:recommender/state@0.1.0#capture",
  initialize: "evolvd:recommender/state@0.1.0#initialize",
  score: "evolvd:recommender/scorer@0.1.0#score",
  observe: "evolvd:recommender/scorer@0.1.0#observe",
  impressions: "evolvd:recommender/scorer@0.1.0#impressions",
};

/** LEB128 unsigned: read at `at` → [value, next]; and written. */
function readU32(bytes, at) {
  let value = 0;
  let shift = 0;
  for (;;) {
    const b = bytes[at++];
    value |= (b & 0x7f) << shift;
    if ((b & 0x80) === 0) return [value >>> 0, at];
    shift += 7;
  }
}
function u32(value) {
  const out = [];
  do {
    let b = value & 0x7f;
    value >>>= 7;
    if (value !== 0) b |= 0x80;
    out.push(b);
  } while (value !== 0);
  return out;
}

/** The module with its export section's names replaced by NAMES (other sections byte for byte). */
function renameExports(bytes) {
  const parts = [bytes.subarray(0, 8)];
  let at = 8;
  while (at < bytes.length) {
    const id = bytes[at];
    const [size, body] = readU32(bytes, at + 1);
    const end = body + size;
    if (id !== 7) parts.push(bytes.subarray(at, end));
    else {
      let [count, p] = readU32(bytes, body);
      const section = [...u32(count)];
      for (; count > 0; count--) {
        const [length, nameAt] = readU32(bytes, p);
        const name = new TextDecoder().decode(bytes.subarray(nameAt, nameAt + length));
        const [index, next] = readU32(bytes, nameAt + length + 1);
        const renamed = new TextEncoder().encode(NAMES[name] ?? name);
        section.push(...u32(renamed.length), ...renamed, bytes[nameAt + length], ...u32(index));
        p = next;
      }
      parts.push(Uint8Array.from([7, ...u32(section.length), ...section]));
    }
    at = end;
  }
  return Buffer.concat(parts);
}

mkdirSync(out, { recursive: true });
for (const variant of VARIANTS) {
  const raw = join(out, `${variant}.raw.wasm`);
  execFileSync(asc, [join(root, "components", "assembly", `${variant}.ts`), "-o", raw, "--runtime", "stub", "-O3", "--noAssert", "--use", "abort="], { stdio: "inherit" });
  writeFileSync(join(out, `${variant}.wasm`), renameExports(readFileSync(raw)));
  rmSync(raw);
}
