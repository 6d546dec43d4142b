// What the jobs area offers: a node-side service that runs submitted drivers (`fabric join
// --accept-jobs`) and the client `fabric submit` / `fabric jobs` use, both over `/fabric/jobs/1`.
import type { ProtocolService } from '../net/index.js'

/** A job's state, as Ray's job states. */
export type JobState = 'pending' | 'running' | 'succeeded' | 'failed' | 'stopped'

export const JOB_STATES: readonly JobState[] = ['pending', 'running', 'succeeded', 'failed', 'stopped']

/** What a node says about a job (its status.json, and the wire form). */
export interface JobInfo {
  /** The submission id: `job-submit-` and 16 hex digits (distinct from the driver's own `fabric.jobId`). */
  id: string
  name?: string
  state: JobState
  /** The driver's path in the working directory, as submitted. */
  driver: string
  args: string[]
  /** The PeerId that submitted it. */
  submitter: string
  /** Epoch ms. */
  submittedAt: number
  startedAt?: number
  endedAt?: number
  exitCode?: number
  signal?: string
  /** Why it failed or was stopped, in words. */
  message?: string
  /** The working directory: files and bytes uploaded (after deduplication: sent) */
  files: number
  bytes: number
  sentBytes: number
}

/** A file of a submission's working directory. */
export interface JobFile {
  /** Relative POSIX path. */
  path: string
  size: number
  /** The CID of a component (`.wasm`): the node may have it already, and then it is not sent. */
  cid?: string
  /** Whether it is executable (mode bits beyond that are not kept). */
  executable?: boolean
}

/** Client → node, the first frame of a stream. */
export type JobsRequest =
  | { type: 'submit', name?: string, entry: string, driver: string, args: string[], files: JobFile[], wait: boolean }
  | { type: 'list' }
  | { type: 'status', id: string }
  | { type: 'logs', id: string, follow: boolean }
  | { type: 'stop', id: string }

/** Node → client frames. */
export type JobsReply =
  | { type: 'need', files: number[] }
  | { type: 'started', job: JobInfo }
  | { type: 'out', fd: 1 | 2, data: Uint8Array }
  | { type: 'end', job: JobInfo }
  | { type: 'job', job: JobInfo }
  | { type: 'jobs', jobs: JobInfo[], truncated: boolean }

/** Options of the node-side service (createJobService). */
export interface JobServiceInit {
  /** The node's data dir: jobs live under `<dataDir>/jobs/`. */
  dataDir: string
  /** Whether submissions are accepted (`fabric join --accept-jobs`); without, list/status/logs/stop still answer. @default false */
  accept?: boolean
  /** The node's swarm key file, handed to jobs as FABRIC_SWARM_KEY_FILE. */
  swarmKeyFile?: string
  /** The fabric's name (`fabric join --name`), given to jobs as FABRIC_NAME so `Fabric.connect()` finds their fabric. @default 'default' */
  fabricName?: string
  /**
   * Run jobs under Node's permission model (`fabric join --job-permissions`): they read any file but
   * write only their working directory and the temp dir, and start no child process or native addon.
   * @default false
   */
  permissions?: boolean
  /** @default DEFAULT_JOB_LIMITS.maxUploadBytes */
  maxUploadBytes?: number
  /** @default DEFAULT_JOB_LIMITS.maxFiles */
  maxFiles?: number
  /** @default DEFAULT_JOB_LIMITS.maxRunning */
  maxRunning?: number
  /** @default DEFAULT_JOB_LIMITS.maxFinished */
  maxFinished?: number
  /** @default DEFAULT_JOB_LIMITS.maxOutputBytes */
  maxOutputBytes?: number
  /** @default DEFAULT_JOB_LIMITS.stopGraceMs */
  stopGraceMs?: number
}

/** The node side: a protocol service to hand createNode, bound to the node's address once it listens. */
export interface JobService extends ProtocolService {
  /** The address jobs connect to (FABRIC_ADDRESS), known once the node listens. Jobs submitted before are refused. */
  bind: (address: string) => void
  /** Read what earlier runs left (jobs that were running then are marked failed). */
  start: () => Promise<void>
  /** Stop running jobs (SIGTERM, SIGKILL after the grace); idempotent. */
  stop: () => Promise<void>
}
