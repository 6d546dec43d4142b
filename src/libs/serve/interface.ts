// The serve library's contracts: a deployment's options, the request a replica gets and what it
// may answer, an application, and what `status()` says.

/** Autoscaling on ongoing requests (Ray Serve's names, camelCase). */
export interface AutoscalingConfig {
  /** @default 1 */
  minReplicas?: number
  /** @default minReplicas */
  maxReplicas?: number
  /** Ongoing requests per replica the scaler aims at. @default 2 */
  targetOngoingRequests?: number
  /** How long the wanted count must stay above the current before replicas are added. @default 1000 */
  upscaleDelayMs?: number
  /** How long it must stay below before replicas go. @default 5000 */
  downscaleDelayMs?: number
}

/** A deployment's options. */
export interface DeploymentOptions {
  /** The deployment's name (routes, status, metrics). @default the class's name */
  name?: string
  /** Fixed replicas (not with `autoscaling`). @default 1 */
  numReplicas?: number
  autoscaling?: AutoscalingConfig
  /** Requests a replica holds at once (running and queued at it); past it on every replica: 503. @default 5, or 2 × maxBatchSize */
  maxOngoingRequests?: number
  /** More than 1: the replica's method gets an array of requests and returns an array of answers. @default 1 */
  maxBatchSize?: number
  /** How long a batch waits to fill. @default 10 */
  batchWaitTimeoutMs?: number
  /** A request's time limit, from arrival to answer: past it, 504. @default 30000 */
  requestTimeoutMs?: number
  /** The method that answers HTTP requests. @default 'call' */
  method?: string
  /** Each replica's resources and placement (an actor's options). */
  resources?: { cpus?: number, gpus?: number, [name: string]: number | undefined }
}

/** A request as a replica gets it. */
export interface ServeRequest {
  method: string
  /** The path after the route prefix, starting with '/'. */
  path: string
  query: Record<string, string>
  /** Lower-case names. */
  headers: Record<string, string>
  /** Parsed JSON for a JSON content type, a string for text, else the bytes; null when empty. */
  body: unknown
}

/** An answer that sets the status and headers itself (any other value is sent as JSON, a Uint8Array as bytes). */
export interface ServeResponse {
  status: number
  headers?: Record<string, string>
  body?: unknown
}

/** Where `serve.run` listens. */
export interface RunOptions {
  /** @default 8000 (0: any free port) */
  port?: number
  /** @default '127.0.0.1' */
  host?: string
  /** Requests under this path reach the application. @default '/' */
  routePrefix?: string
}

/** One deployment's state. */
export interface DeploymentStatus {
  name: string
  /** `served`: requests the replica answered or failed. */
  replicas: Array<{ actorId: string, ongoing: number, served: number, state: 'starting' | 'running' | 'stopping' }>
  /** Replicas the deployment wants (autoscaling moves it). */
  target: number
  /** Requests waiting for a batch or a replica. */
  queued: number
  requests: { total: number, failed: number, rejected: number }
}

/** What a running application says of itself. */
export interface ServeStatus {
  url: string
  deployments: DeploymentStatus[]
}
