import type { ConfigValues, JsonValue } from "./values.js";

/** sha256 (hex) of a version's canonical JSON: the same values always get the same id. */
export type VersionId = string;

/** The five operators of the mutation engine, and `edit`: a setting an operator's candidate changed. */
export type MutationOp = "swap" | "nudge" | "flip" | "reweight" | "substitute" | "edit";

/** One operator applied to one path, kept in the version's lineage. */
export interface AppliedMutation {
  readonly path: string;
  readonly op: MutationOp;
  readonly from: JsonValue;
  readonly to: JsonValue;
}

/** An immutable set of config values and where it came from. */
export interface Version {
  readonly id: VersionId;
  readonly target: string;
  readonly values: ConfigValues;
  readonly parent: VersionId | null;
  readonly mutations: readonly AppliedMutation[];
  /** Seed of the random stream that proposed it (null for a baseline loaded from a file). */
  readonly seed: string | null;
  readonly generation: number;
  readonly createdAt: number;
}

/** Changed leaf paths between two value sets, old → new. */
export interface ValueChange {
  readonly path: string;
  readonly from: JsonValue | undefined;
  readonly to: JsonValue | undefined;
}
