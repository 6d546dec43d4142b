// Types of the fabric:core host imports as a QuickJS guest sees them (componentize-qjs maps
// `result<T, E>` to "return T or throw E"). Kept in step with wit/fabric.wit; the guest runtime's
// tests exercise every import, so drift shows up there.

declare module 'fabric:core/log@0.1.0' {
  export type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error'
  export function log (level: Level, message: string): void
}

declare module 'fabric:core/objects@0.1.0' {
  export function get (id: string): Uint8Array
  export function put (data: Uint8Array): string
}

declare module 'fabric:core/tasks@0.1.0' {
  export function submit (component: string, name: string, args: Uint8Array, options: Uint8Array): string
  export function get (id: string, timeoutMs: number | undefined): Uint8Array
  export function wait (ids: string[], numReturns: number, timeoutMs: number | undefined): string[]
}
