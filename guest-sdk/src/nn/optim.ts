// Optimisers: each `step()` moves the parameters against their gradients (`backward()` collected
// them) with bridge ops, replacing each parameter's host tensor; `zeroGrad()` drops the gradients.
import * as raw from '../gpu.js'
import type { Tensor } from './autograd.js'
import { collective } from '../collective.js'

/** An optimiser over a fixed list of parameters. */
export abstract class Optimizer {
  /** The learning rate; may be changed between steps (a schedule). */
  lr: number
  /** Steps taken. */
  steps = 0

  constructor (readonly params: readonly Tensor[], lr: number) {
    if (!(typeof lr === 'number' && lr > 0 && Number.isFinite(lr))) throw new RangeError(`the learning rate must be a positive number, got ${String(lr)}`)
    this.lr = lr
  }

  /** Update every parameter that has a gradient. */
  step (): void {
    this.steps++
    for (const [i, p] of this.params.entries()) {
      if (p.grad === undefined) continue
      const next = this.update(i, p.data, p.grad)
      p.data.dispose()
      p.data = next
    }
  }

  /** Drop the parameters' gradients (before the next backward). */
  zeroGrad (): void {
    for (const p of this.params) p.zeroGrad()
  }

  /** The new value of parameter `i` (a new tensor; the caller frees the old one). */
  protected abstract update (i: number, value: raw.Tensor, grad: raw.Tensor): raw.Tensor

  /** Free the optimiser's state tensors. */
  dispose (): void {}
}

/** Apply `f` to `t` and free `t` (a chain of temporaries). */
function then (t: raw.Tensor, f: (t: raw.Tensor) => raw.Tensor): raw.Tensor {
  const out = f(t)
  t.dispose()
  return out
}

/** Stochastic gradient descent, with momentum and weight decay (PyTorch's form). */
export class SGD extends Optimizer {
  readonly momentum: number
  readonly weightDecay: number
  readonly #velocity: Array<raw.Tensor | undefined>

  constructor (params: readonly Tensor[], options: { lr: number, momentum?: number, weightDecay?: number }) {
    super(params, options.lr)
    this.momentum = options.momentum ?? 0
    this.weightDecay = options.weightDecay ?? 0
    this.#velocity = params.map(() => undefined)
  }

  protected update (i: number, value: raw.Tensor, grad: raw.Tensor): raw.Tensor {
    let g = grad
    if (this.weightDecay !== 0) g = then(raw.scale(value, this.weightDecay), d => raw.add(grad, d))
    if (this.momentum !== 0) {
      const v = this.#velocity[i]
      // v = momentum v + g (the first step: v = g)
      const next = v === undefined ? raw.scale(g, 1) : then(raw.scale(v, this.momentum), t => raw.add(t, g))
      v?.dispose()
      this.#velocity[i] = next
      if (g !== grad) g.dispose()
      g = next
    }
    const out = then(raw.scale(g, this.lr), step => raw.sub(value, step))
    if (g !== grad && g !== this.#velocity[i]) g.dispose()
    return out
  }

  override dispose (): void {
    for (const v of this.#velocity) v?.dispose()
  }
}

/** Adam (Kingma & Ba), with optional decoupled-free L2 weight decay as PyTorch's Adam. */
export class Adam extends Optimizer {
  readonly betas: [number, number]
  readonly eps: number
  readonly weightDecay: number
  readonly #m: Array<raw.Tensor | undefined>
  readonly #v: Array<raw.Tensor | undefined>
  #epsTensor: raw.Tensor | undefined

  constructor (params: readonly Tensor[], options: { lr?: number, betas?: [number, number], eps?: number, weightDecay?: number } = {}) {
    super(params, options.lr ?? 1e-3)
    this.betas = options.betas ?? [0.9, 0.999]
    this.eps = options.eps ?? 1e-8
    this.weightDecay = options.weightDecay ?? 0
    this.#m = params.map(() => undefined)
    this.#v = params.map(() => undefined)
  }

  protected update (i: number, value: raw.Tensor, grad: raw.Tensor): raw.Tensor {
    const [b1, b2] = this.betas
    const g = this.weightDecay === 0 ? grad : then(raw.scale(value, this.weightDecay), t => raw.add(grad, t))
    const m0 = this.#m[i]
    const v0 = this.#v[i]
    const gm = raw.scale(g, 1 - b1)
    const m = m0 === undefined ? gm : then(raw.scale(m0, b1), t => then(gm, s => raw.add(t, s)))
    const gg = raw.mul(g, g)
    const gv = then(gg, t => raw.scale(t, 1 - b2))
    const v = v0 === undefined ? gv : then(raw.scale(v0, b2), t => then(gv, s => raw.add(t, s)))
    m0?.dispose()
    v0?.dispose()
    this.#m[i] = m
    this.#v[i] = v
    if (g !== grad) g.dispose()
    const t = this.steps
    this.#epsTensor ??= raw.tensor(Float32Array.of(this.eps), [1])
    // p - lr m̂ / (√v̂ + eps), m̂ = m / (1 - b1^t), v̂ = v / (1 - b2^t)
    const denom = then(then(raw.scale(v, 1 / (1 - b2 ** t)), raw.sqrt), s => raw.add(s, this.#epsTensor!))
    const stepT = then(then(raw.scale(m, this.lr / (1 - b1 ** t)), s => raw.div(s, denom)), s => raw.sub(value, s))
    denom.dispose()
    return stepT
  }

  override dispose (): void {
    for (const x of [...this.#m, ...this.#v]) x?.dispose()
    this.#epsTensor?.dispose()
  }
}

/** SGD (momentum and weight decay optional). */
export function sgd (params: readonly Tensor[], options: { lr: number, momentum?: number, weightDecay?: number }): SGD {
  return new SGD(params, options)
}

/** Adam. @default lr 1e-3, betas [0.9, 0.999], eps 1e-8 */
export function adam (params: readonly Tensor[], options: { lr?: number, betas?: [number, number], eps?: number, weightDecay?: number } = {}): Adam {
  return new Adam(params, options)
}

/**
 * Scale the gradients so that their global L2 norm is at most `maxNorm`; returns the norm before.
 * (Reads one number per parameter into the guest.)
 */
export function clipGradNorm (params: readonly Tensor[], maxNorm: number): number {
  let total = 0
  for (const p of params) {
    if (p.grad === undefined) continue
    const sq = raw.mul(p.grad, p.grad)
    const s = raw.sum(sq)
    total += s.toFloat32Array()[0]!
    sq.dispose()
    s.dispose()
  }
  const norm = Math.sqrt(total)
  if (norm > maxNorm && norm > 0) {
    const f = maxNorm / (norm + 1e-6)
    for (const p of params) {
      if (p.grad === undefined) continue
      const next = raw.scale(p.grad, f)
      p.grad.dispose()
      p.grad = next
    }
  }
  return norm
}

/**
 * Replace each parameter's gradient by its combination over a collective group (data-parallel
 * training: `mean` averages the members' gradients). Tensors stay in the hosts.
 */
export function allReduceGradients (params: readonly Tensor[], options: { group?: string, op?: 'sum' | 'mean' } = {}): void {
  for (const p of params) {
    if (p.grad === undefined) continue
    const next = collective.allReduce(p.grad, { ...(options.group === undefined ? {} : { group: options.group }), op: options.op ?? 'mean' })
    p.grad.dispose()
    p.grad = next
  }
}

/** Make every member's parameters the root's (the start of data-parallel training). */
export function broadcastParameters (params: readonly Tensor[], options: { group?: string, root?: number } = {}): void {
  const root = options.root ?? 0
  const me = collective.info(options.group).rank
  for (const p of params) {
    const next = collective.broadcast(me === root ? p.data : undefined, { root, ...(options.group === undefined ? {} : { group: options.group }) })
    p.data.dispose()
    p.data = next
  }
}
