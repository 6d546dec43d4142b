// `wasm-fabric/guest/nn`: neural networks in guests, over the GPU bridge — tensors with
// reverse-mode autograd, layers, losses and optimisers (torch.nn's names). Every tensor lives in
// the host (on the GPU where the call holds one); training never copies weights into the guest.
//
//   import * as nn from 'wasm-fabric/guest/nn'
//   const model = new nn.Sequential(new nn.Linear(784, 128), new nn.ReLU(), new nn.Linear(128, 10))
//   const opt = nn.adam(model.parameters(), { lr: 1e-3 })
//   const loss = nn.tidy(() => {
//     const l = nn.crossEntropy(model.forward(nn.tensor(x, [64, 784])), labels)
//     l.backward()
//     return l.item()
//   })
//   opt.step(); opt.zeroGrad()
export { Tensor, tensor, parameter, tidy, noGrad, type GradFn } from './autograd.js'
export {
  add, sub, mul, div, scale, neg, square, matmul, linear, relu, gelu, tanh, sigmoid, exp, log, sqrt,
  softmax, logSoftmax, sum, mean, reshape, transpose, expand, conv2d, dropout
} from './functional.js'
export { Module, Linear, Conv2d, ReLU, GELU, Tanh, Sigmoid, Flatten, Dropout, Sequential, type LayerOptions } from './layers.js'
export { crossEntropy, mse, oneHot, type LossOptions } from './losses.js'
export { Optimizer, SGD, Adam, sgd, adam, clipGradNorm, allReduceGradients, broadcastParameters } from './optim.js'
export { Random, random, manualSeed } from './random.js'
