import type { SchemaLeaf } from "../domain/target.js";
import { getPath, type ConfigValues } from "../domain/values.js";

/**
 * The surrogate's view of a configuration: a fixed-length vector made from the schema alone.
 *   integer / number  →  z = 2(x − min)/(max − min) − 1 and z² (an optimum inside the range)
 *   boolean           →  1 when true
 *   enum / function   →  one indicator per level (the model sees differences, so no level is dropped)
 *   weights           →  each weight
 * plus the products of the first-order features of every two different settings (interactions).
 * Every feature lies in [−1, 1], so one prior scale per kind of feature means the same thing
 * for every setting.
 */
export interface FeatureSpace {
  readonly names: readonly string[];
  /** Kind of each feature. */
  readonly kinds: readonly FeatureKind[];
  /**
   * Prior variance of each feature's coefficient, relative to the fit's scale: 1 for main
   * effects and squares; an interaction gets 1/(2(S − 1)) with S settings, so all the
   * interactions of one setting together weigh about half its main effect — the model
   * explains a change by the setting changed before it reaches for what it changed beside.
   */
  readonly prior: Float64Array;
  encode(values: ConfigValues): Float64Array;
}

export type FeatureKind = "main" | "square" | "interaction";

interface Main {
  readonly name: string;
  readonly setting: number;
  readonly read: (values: ConfigValues) => number;
}

/** Interactions only while the vector stays small enough to fit every generation in a few ms. */
const MAX_INTERACTIONS = 400;

export function featureSpace(schema: readonly SchemaLeaf[], functions: Readonly<Record<string, readonly string[]>>): FeatureSpace {
  const mains: Main[] = [];
  const squares: Main[] = [];
  schema.forEach((leaf, setting) => {
    const at = (values: ConfigValues) => getPath(values, leaf.path);
    switch (leaf.kind) {
      case "integer":
      case "number": {
        const span = leaf.max - leaf.min || 1;
        const z = (values: ConfigValues) => {
          const x = at(values);
          return typeof x === "number" ? (2 * (x - leaf.min)) / span - 1 : 0;
        };
        mains.push({ name: leaf.path, setting, read: z });
        squares.push({ name: `${leaf.path}²`, setting, read: (values) => z(values) ** 2 });
        break;
      }
      case "boolean":
        mains.push({ name: leaf.path, setting, read: (values) => (at(values) === true ? 1 : 0) });
        break;
      case "enum":
      case "function": {
        const levels = leaf.kind === "enum" ? leaf.values : (functions[leaf.registry] ?? []);
        for (const level of levels) mains.push({ name: `${leaf.path}=${level}`, setting, read: (values) => (at(values) === level ? 1 : 0) });
        break;
      }
      case "weights":
        for (let i = 0; i < leaf.length; i++) {
          mains.push({ name: `${leaf.path}[${i}]`, setting, read: (values) => {
            const w = at(values);
            return Array.isArray(w) && typeof w[i] === "number" ? (w[i] as number) : 0;
          } });
        }
        break;
    }
  });
  /** Interactions as indices into the main features. */
  const pairs: [number, number][] = [];
  for (let i = 0; i < mains.length && pairs.length < MAX_INTERACTIONS; i++) {
    for (let j = i + 1; j < mains.length && pairs.length < MAX_INTERACTIONS; j++) {
      if ((mains[i] as Main).setting !== (mains[j] as Main).setting) pairs.push([i, j]);
    }
  }
  const names = [...mains.map((m) => m.name), ...squares.map((s) => s.name), ...pairs.map(([a, b]) => `${(mains[a] as Main).name}×${(mains[b] as Main).name}`)];
  const kinds: FeatureKind[] = [...mains.map((): FeatureKind => "main"), ...squares.map((): FeatureKind => "square"), ...pairs.map((): FeatureKind => "interaction")];
  const interaction = 1 / (2 * Math.max(1, schema.length - 1));
  return {
    names,
    kinds,
    prior: Float64Array.from(kinds, (k) => (k === "interaction" ? interaction : 1)),
    encode(values) {
      const out = new Float64Array(names.length);
      const first = mains.map((m) => m.read(values));
      first.forEach((x, i) => (out[i] = x));
      squares.forEach((s, i) => (out[mains.length + i] = s.read(values)));
      pairs.forEach(([a, b], k) => (out[mains.length + squares.length + k] = (first[a] as number) * (first[b] as number)));
      return out;
    },
  };
}
