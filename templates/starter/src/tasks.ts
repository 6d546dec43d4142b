// Guest code: `fabric build` compiles this file into a sandboxed WebAssembly component (QuickJS).
// Each exported task can run on any node of the fabric; it sees no files, network or clock.
import { task, get } from '__PACKAGE__/guest'

export const square = task((x: number) => x * x)

export const add = task((a: number, b: number) => a + b)

// A task may call tasks: `.remote()` returns a ref at once, `get()` waits for its value.
export const fib = task((n: number): number => n < 2 ? n : get(fib.remote(n - 1)) + get(fib.remote(n - 2)))
