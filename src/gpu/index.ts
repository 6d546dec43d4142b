// The GPU host-function bridge: tensors and kernels behind the `fabric:core/gpu` WIT interface.
export type { BackendKind, DType, GpuErrorKind, GpuInventory, Kernels } from './interface.js'
export { GpuError } from './errors.js'
export { HostTensor, TensorOps, MAX_ELEMENTS } from './ops.js'
export { jsKernels, geluRef } from './js-backend.js'
export { cpuKernels, cudaKernels, cudaBytesInUse, gpuInventory, loadAddon, nativeError, openblasCoreType, prepareNativeEnvironment, setAddonPath, DEFAULT_ADDON_PATH } from './native.js'
export { availableBackends, backendPreference, selectKernels, type BackendPreference } from './select.js'
export { createGpuScope, DEFAULT_MAX_TENSOR_BYTES, type GpuImports, type GpuScope, type GpuScopeOptions } from './bridge.js'
