// The guest SDK: what user code compiled into a fabric component imports (`wasm-fabric/guest`).
export { task, isTask } from './task.js'
export { actor, type Task, type GuestRemoteFunction, type GuestRemoteArgs, type GuestRemoteResult, type GuestTaskOptions, type TaskDeclaration, TASK_BRAND } from './types.js'
export { get, put, submit, wait, log } from './host.js'
export { actorHandle, type ActorLike, type GuestActorHandle, type GuestActorMethod, type GuestActorCallOptions } from './actor-handle.js'
export { GuestError, type TaskErrorRecord } from './guest-error.js'
export { ObjectRef } from '../../src/objects/object-ref.js'
export { encode, decode, CodecError } from '../../src/objects/codec.js'
export {
  Tensor, tensor, fromObject, gpuBackend, matmul, linear, add, sub, mul, div, scale, relu, gelu, exp, softmax, sum, mean, transpose, reshape, conv2d,
  ln, sqrt, tanh, logSoftmax, expand, dropout, reluGrad, geluGrad, softmaxGrad, conv2dGradInput, conv2dGradWeight
} from './gpu.js'
export { collective, DEFAULT_GROUP } from './collective.js'
export { shardBatches, stackRows, type TrainContext, type TrainReport, type Shard } from './train.js'
