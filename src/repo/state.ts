import type {
  ParsedMetadata,
  RootSigned,
  SnapshotSigned,
  TargetsSigned,
  TimestampSigned,
} from '../tuf/types.js';

/**
 * A repository's trusted metadata after an update (or loaded from the local cache for a
 * never-published collection). Produced by update.ts, consumed by read commands and publish.ts.
 */
export interface RepoState {
  gun: string;
  root: ParsedMetadata<RootSigned>;
  /** `targets` and every delegation that loaded and verified, keyed by role name, in walk order. */
  targets: Map<string, ParsedMetadata<TargetsSigned>>;
  snapshot?: ParsedMetadata<SnapshotSigned>;
  timestamp?: ParsedMetadata<TimestampSigned>;
  /** Delegations skipped during the walk (expired, threshold not met), with the reason. */
  skipped: Array<{ role: string; reason: string }>;
  /**
   * Go's `invalidRoles`: the parsed files of skipped delegations (signature threshold not met or
   * expired; hash and version were fine), so that `witness` + publish can re-sign them.
   */
  invalid?: Map<string, ParsedMetadata<TargetsSigned>>;
}

/** A target as `list`/`lookup` report it. */
export interface TargetWithRole {
  name: string;
  role: string;
  length: number;
  hashes: Record<string, Buffer>;
  custom?: unknown;
}
