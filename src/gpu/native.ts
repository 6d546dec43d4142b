// Loading the native addon (build/Release/fabric_gpu.node, built at `npm install`) and wrapping its
// kernel sets as backends: `cpu` over Float32Arrays, `cuda` over device buffers.
import { createRequire } from 'node:module'
import { existsSync, readFileSync } from 'node:fs'
import os from 'node:os'
import { fileURLToPath } from 'node:url'
import { isMainThread } from 'node:worker_threads'
import type { GpuInventory, Kernels } from './interface.js'
import { fromNative } from './errors.js'

type NativeFn = (...args: unknown[]) => void
interface NativeKernels {
  gemm: NativeFn, linear: NativeFn, binary: NativeFn, scale: NativeFn, unary: NativeFn
  softmax: NativeFn, reduce: NativeFn, transpose: NativeFn, conv2d: NativeFn
  unaryGrad: NativeFn, logSoftmax: NativeFn, softmaxGrad: NativeFn, repeat: NativeFn
  conv2dGradInput: NativeFn, conv2dGradWeight: NativeFn, dropout: NativeFn
}

/** The kernels an addon's kernel set carries (an addon built before some existed lacks them: see wrap). */
const KERNEL_NAMES = ['gemm', 'linear', 'binary', 'scale', 'unary', 'softmax', 'reduce', 'transpose', 'conv2d', 'unaryGrad', 'logSoftmax', 'softmaxGrad', 'repeat', 'conv2dGradInput', 'conv2dGradWeight', 'dropout'] as const
interface NativeAddon {
  cpu: NativeKernels & { gemmImpl: () => string }
  cuda?: NativeKernels & {
    init: () => { devices: number, name: string, gemm: string }
    alloc: (floats: number) => DeviceBuffer
    free: (buf: DeviceBuffer) => void
    upload: (buf: DeviceBuffer, data: Float32Array) => void
    download: (buf: DeviceBuffer, data: Float32Array) => void
    bytesInUse: () => number
  }
}

/** A CUDA allocation, held by JS as an opaque external. */
export type DeviceBuffer = object & { readonly __device: unique symbol }

/** Where the addon is: FABRIC_GPU_ADDON, else the build folder of this checkout. */
export const DEFAULT_ADDON_PATH = process.env.FABRIC_GPU_ADDON ?? fileURLToPath(new URL('../../build/Release/fabric_gpu.node', import.meta.url))

let addonPath = DEFAULT_ADDON_PATH
let loaded: { addon?: NativeAddon, error?: string } | undefined

/** Point this thread at an addon file before it is first loaded (workers get the main thread's path). */
export function setAddonPath (path: string): void {
  if (loaded === undefined) addonPath = path
}

/**
 * The OpenBLAS core type for this CPU, from its flags: Debian's OpenBLAS misdetects some CPUs
 * (as "Prescott", 5x slower) unless OPENBLAS_CORETYPE names one.
 */
export function openblasCoreType (flags: ReadonlySet<string>): string | undefined {
  if (['avx512f', 'avx512bw', 'avx512vl', 'avx512dq'].every(f => flags.has(f))) return 'SkylakeX'
  if (flags.has('avx2') && flags.has('fma')) return 'Haswell'
  if (flags.has('avx')) return 'Sandybridge'
  return undefined
}

function cpuFlags (): Set<string> {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find(l => l.startsWith('flags'))
    return new Set(line?.split(':')[1]?.trim().split(/\s+/) ?? [])
  } catch {
    return new Set()
  }
}

/**
 * Set OpenBLAS's environment before the addon loads (OpenBLAS reads it once, when the library is
 * loaded into the process): the core type from the CPU flags, and `threads` BLAS threads (the
 * node's CPU slots). Both leave a value the user set alone. Must run on the main thread (a
 * worker's process.env is its own copy), before any worker loads the addon.
 */
export function prepareNativeEnvironment (threads = os.availableParallelism()): void {
  if (!isMainThread || loaded !== undefined) return
  if (process.env.OPENBLAS_CORETYPE === undefined) {
    const core = openblasCoreType(cpuFlags())
    if (core !== undefined) process.env.OPENBLAS_CORETYPE = core
  }
  process.env.OPENBLAS_NUM_THREADS ??= String(Math.max(1, Math.floor(threads)))
}

/** The addon, or why it cannot load (never throws). */
export function loadAddon (): { addon?: NativeAddon, error?: string } {
  if (loaded !== undefined) return loaded
  prepareNativeEnvironment()
  if (!existsSync(addonPath)) {
    loaded = { error: `the native addon is not built (${addonPath} is missing: run \`npm install\` or \`npm rebuild\` with a C++ compiler)` }
    return loaded
  }
  try {
    loaded = { addon: createRequire(import.meta.url)(addonPath) as NativeAddon }
  } catch (err) {
    loaded = { error: `the native addon at ${addonPath} does not load: ${(err as Error).message}` }
  }
  return loaded
}

function wrap<B> (kind: 'cpu' | 'cuda', k: NativeKernels): Pick<Kernels<B>, typeof KERNEL_NAMES[number]> {
  const call = (name: keyof NativeKernels) => {
    const fn = k[name]
    if (typeof fn !== 'function') {
      // An addon built from older sources: rebuilding it (`npm rebuild`) brings the kernel.
      return (): void => { throw fromNative(Object.assign(new Error(`the native addon has no ${name} kernel: it was built from older sources (run \`npm rebuild\`)`), { code: 'backend' }), `${kind} ${name}`) }
    }
    return (...args: unknown[]): void => {
      try {
        fn(...args)
      } catch (err) {
        throw fromNative(err, `${kind} ${name}`)
      }
    }
  }
  return Object.fromEntries(KERNEL_NAMES.map(name => [name, call(name)])) as unknown as Pick<Kernels<B>, typeof KERNEL_NAMES[number]>
}

let cpu: Kernels<Float32Array> | undefined | null

/** The native CPU backend, or undefined (with the reason in `nativeError()`) where the addon does not load. */
export function cpuKernels (): Kernels<Float32Array> | undefined {
  if (cpu !== undefined) return cpu ?? undefined
  const { addon } = loadAddon()
  if (addon === undefined) {
    cpu = null
    return undefined
  }
  const impl = addon.cpu.gemmImpl()
  cpu = {
    kind: 'cpu',
    description: `cpu:${impl}${impl === 'openblas' ? ` (${process.env.OPENBLAS_CORETYPE ?? 'autodetected core'}, ${process.env.OPENBLAS_NUM_THREADS ?? 'default'} threads)` : ''}`,
    alloc: (n) => allocFloats(n),
    upload: (data) => data.slice(),
    download: (buf, n) => buf.slice(0, n),
    free: () => {},
    ...wrap<Float32Array>('cpu', addon.cpu)
  }
  return cpu
}

function allocFloats (n: number): Float32Array {
  try {
    return new Float32Array(n)
  } catch (err) {
    throw fromNative(err, `allocating ${n} floats`)
  }
}

let cuda: { kernels?: Kernels<DeviceBuffer>, inventory: GpuInventory } | undefined

/** The CUDA backend where a device answers; otherwise undefined, with the reason in `gpuInventory()`. */
export function cudaKernels (): Kernels<DeviceBuffer> | undefined {
  return probeCuda().kernels
}

/** The CUDA devices this process can use (loads the addon and initialises CUDA the first time). */
export function gpuInventory (): GpuInventory {
  return probeCuda().inventory
}

function probeCuda (): { kernels?: Kernels<DeviceBuffer>, inventory: GpuInventory } {
  if (cuda !== undefined) return cuda
  const { addon, error } = loadAddon()
  if (addon === undefined) return (cuda = { inventory: { devices: 0, reason: error } })
  const c = addon.cuda
  if (c === undefined) return (cuda = { inventory: { devices: 0, reason: 'the native addon was built without CUDA (no nvcc at install time)' } })
  let info: { devices: number, name: string, gemm: string }
  try {
    info = c.init()
  } catch (err) {
    return (cuda = { inventory: { devices: 0, reason: `CUDA did not initialise: ${(err as Error).message}` } })
  }
  if (info.devices === 0) return (cuda = { inventory: { devices: 0, reason: 'no CUDA device answers (no GPU or no driver)' } })
  const kernels: Kernels<DeviceBuffer> = {
    kind: 'cuda',
    description: `cuda:${info.name} (${info.gemm})`,
    alloc: (n) => {
      try {
        return c.alloc(n)
      } catch (err) {
        throw fromNative(err, `cuda alloc of ${n} floats`)
      }
    },
    upload: (data) => {
      const buf = kernels.alloc(data.length)
      try {
        c.upload(buf, data)
      } catch (err) {
        c.free(buf)
        throw fromNative(err, 'cuda upload')
      }
      return buf
    },
    download: (buf, n) => {
      const out = allocFloats(n)
      try {
        c.download(buf, out)
      } catch (err) {
        throw fromNative(err, 'cuda download')
      }
      return out
    },
    free: (buf) => c.free(buf),
    ...wrap<DeviceBuffer>('cuda', c)
  }
  return (cuda = { kernels, inventory: { devices: info.devices, model: info.name } })
}

/** Device memory held through the addon by this process, in bytes (0 without CUDA). */
export function cudaBytesInUse (): number {
  return cuda?.kernels === undefined ? 0 : loadAddon().addon!.cuda!.bytesInUse()
}

/** Why the native addon is unavailable, or undefined when it loads. */
export function nativeError (): string | undefined {
  return loadAddon().error
}
