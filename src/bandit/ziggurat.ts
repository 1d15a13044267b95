/**
 * Tables of the 128-layer ziggurat normal sampler (Marsaglia & Tsang, 2000). Computed once
 * here and copied into the WebAssembly kernel, so the kernel and its twin use identical tables.
 */
export interface ZigguratTables {
  readonly kn: Uint32Array;
  readonly wn: Float64Array;
  readonly fn: Float64Array;
}

export const ZIGGURAT_R = 3.442619855899;

let cached: ZigguratTables | undefined;

export function zigguratTables(): ZigguratTables {
  if (cached) return cached;
  const m1 = 2147483648.0;
  const vn = 9.91256303526217e-3;
  const kn = new Uint32Array(128);
  const wn = new Float64Array(128);
  const fn = new Float64Array(128);
  let dn = ZIGGURAT_R;
  let tn = dn;
  const q = vn / Math.exp(-0.5 * dn * dn);
  kn[0] = Math.floor((dn / q) * m1);
  kn[1] = 0;
  wn[0] = q / m1;
  wn[127] = dn / m1;
  fn[0] = 1.0;
  fn[127] = Math.exp(-0.5 * dn * dn);
  for (let i = 126; i >= 1; i--) {
    dn = Math.sqrt(-2 * Math.log(vn / dn + Math.exp(-0.5 * dn * dn)));
    kn[i + 1] = Math.floor((dn / tn) * m1);
    tn = dn;
    fn[i] = Math.exp(-0.5 * dn * dn);
    wn[i] = dn / m1;
  }
  cached = { kn, wn, fn };
  return cached;
}
