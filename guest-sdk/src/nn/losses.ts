// Losses: each returns a one-element tensor to call `backward()` on.
import { Tensor, tensor } from './autograd.js'
import { logSoftmax, mean, mul, scale, square, sub, sum } from './functional.js'

/** Options of the losses: average over the batch (default) or sum. */
export interface LossOptions {
  reduction?: 'mean' | 'sum'
}

/** One-hot rows for class indices (`classes` columns), as an input tensor. */
export function oneHot (labels: ArrayLike<number>, classes: number): Tensor {
  const out = new Float32Array(labels.length * classes)
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i]!
    if (!Number.isInteger(c) || c < 0 || c >= classes) throw new RangeError(`label ${i} is ${c}: labels must be class indices 0-${classes - 1}`)
    out[i * classes + c] = 1
  }
  return tensor(out, [labels.length, classes])
}

/**
 * Cross entropy of `logits` [batch, classes] (unnormalised scores) against `labels`: class indices
 * (one per row), or a tensor of target probabilities [batch, classes]. Computed through a stable
 * log-softmax.
 */
export function crossEntropy (logits: Tensor, labels: ArrayLike<number> | Tensor, options: LossOptions = {}): Tensor {
  const shape = logits.shape
  if (shape.length !== 2) throw new TypeError(`crossEntropy: logits must be [batch, classes], got [${shape.join(', ')}]`)
  const [batch, classes] = shape as [number, number]
  const target = labels instanceof Tensor ? labels : oneHot(labels, classes)
  if (labels instanceof Tensor ? labels.shape.join() !== shape.join() : labels.length !== batch) {
    throw new TypeError(`crossEntropy: ${batch} rows of logits, but labels ${labels instanceof Tensor ? `of shape [${labels.shape.join(', ')}]` : `for ${labels.length}`}`)
  }
  const picked = mul(logSoftmax(logits), target)
  return scale(sum(picked), options.reduction === 'sum' ? -1 : -1 / batch)
}

/** Mean squared error between `prediction` and `target` (the same shape). */
export function mse (prediction: Tensor, target: Tensor | Float32Array, options: LossOptions = {}): Tensor {
  const t = target instanceof Tensor ? target : tensor(target, prediction.shape)
  const sq = square(sub(prediction, t))
  return options.reduction === 'sum' ? sum(sq) : mean(sq)
}
