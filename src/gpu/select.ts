// Which backend serves a call: CUDA for calls that hold a GPU (where a device answers), the native
// CPU addon for the rest, the pure-JS reference where no addon loads. FABRIC_GPU_BACKEND
// (js | cpu | cuda | auto) forces one for every call.
import type { BackendKind, Kernels } from './interface.js'
import { jsKernels } from './js-backend.js'
import { cpuKernels, cudaKernels, gpuInventory, nativeError } from './native.js'

export type BackendPreference = BackendKind | 'auto'

export function backendPreference (value = process.env.FABRIC_GPU_BACKEND): BackendPreference {
  if (value === undefined || value === '' || value === 'auto') return 'auto'
  if (value === 'js' || value === 'cpu' || value === 'cuda') return value
  throw new TypeError(`FABRIC_GPU_BACKEND must be js, cpu, cuda or auto, got '${value}'`)
}

/**
 * The kernels for a call. `device`: the call holds a GPU (its task or actor asked for `gpus`).
 * A forced backend that is unavailable falls back (cuda → cpu → js) rather than failing every call;
 * `gpu.backend()` tells the guest which one serves it.
 */
export function selectKernels (device: boolean, preference: BackendPreference = backendPreference()): Kernels {
  const wantCuda = preference === 'cuda' || (preference === 'auto' && device)
  if (wantCuda) {
    const cuda = cudaKernels()
    if (cuda !== undefined) return cuda as Kernels
  }
  if (preference !== 'js') {
    const cpu = cpuKernels()
    if (cpu !== undefined) return cpu as Kernels
  }
  return jsKernels as Kernels
}

/** Every backend that can run in this process, for the compliance suite and `fabric status`. */
export function availableBackends (): { kernels: Kernels[], missing: Array<{ kind: BackendKind, reason: string }> } {
  const kernels: Kernels[] = [jsKernels as Kernels]
  const missing: Array<{ kind: BackendKind, reason: string }> = []
  const cpu = cpuKernels()
  if (cpu !== undefined) kernels.push(cpu as Kernels)
  else missing.push({ kind: 'cpu', reason: nativeError() ?? 'unknown' })
  const cuda = cudaKernels()
  if (cuda !== undefined) kernels.push(cuda as Kernels)
  else missing.push({ kind: 'cuda', reason: gpuInventory().reason ?? 'unknown' })
  return { kernels, missing }
}
