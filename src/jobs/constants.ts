// Limits and names of the jobs area (`fabric submit`, `/fabric/jobs/1`), documented in one place.

/** The protocol a node accepting jobs serves (see protocol.ts). */
export const JOBS_PROTOCOL = '/fabric/jobs/1'

/** Bytes of one request or control frame (the submit frame lists every file: paths and sizes). */
export const MAX_JOBS_REQUEST_BYTES = 4 * 1024 * 1024

/** Bytes of one data frame (a piece of an uploaded file) or output frame. */
export const MAX_JOBS_DATA_BYTES = 1024 * 1024

/** Bytes of one reply frame from the node (a list of jobs, or a piece of output). */
export const MAX_JOBS_REPLY_BYTES = 4 * 1024 * 1024

/** Output bytes sent in one frame. */
export const OUTPUT_CHUNK_BYTES = 256 * 1024

/** Files a submission may carry at most (the wire's own bound; nodes default to less, see DEFAULT_JOB_LIMITS). */
export const MAX_JOB_FILES = 100_000

/** Characters of a file's path in the working directory. */
export const MAX_JOB_PATH_CHARS = 1024

/** Arguments of a driver, and characters of each. */
export const MAX_JOB_ARGS = 256
export const MAX_JOB_ARG_CHARS = 4096

/** Characters of a job's name. */
export const MAX_JOB_NAME_CHARS = 128

/** Jobs one list reply holds at most. */
export const MAX_LISTED_JOBS = 1000

/** What a node accepting jobs allows unless `fabric join` says otherwise. */
export const DEFAULT_JOB_LIMITS = {
  /** Bytes of a working directory (its files and the bundled driver). `--max-upload-mb` */
  maxUploadBytes: 100 * 1024 * 1024,
  /** Files of a working directory. */
  maxFiles: 10_000,
  /** Jobs running at once on the node. `--max-jobs` */
  maxRunning: 4,
  /** Finished jobs remembered (their directories kept); the oldest go first. */
  maxFinished: 100,
  /** Output bytes kept per job: the log rotates at half of it, one older part kept. */
  maxOutputBytes: 16 * 1024 * 1024,
  /** How long a stopped job has between SIGTERM and SIGKILL. */
  stopGraceMs: 5000
}

/** How long the node waits for the next frame of an upload, or for a request, before giving up. */
export const JOBS_IDLE_TIMEOUT_MS = 60_000
