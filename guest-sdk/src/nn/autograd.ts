// Reverse-mode autograd over the GPU bridge: a `Tensor` of nn is a host tensor (on the GPU where
// the call holds one) that remembers the op that made it and its inputs. `backward()` walks that
// graph from a loss in reverse order, each op turning its output's gradient into its inputs' with
// bridge ops (gradient kernels where the chain rule needs one: relu, gelu, softmax, conv2d), and
// adds the gradients of leaves into their `grad`. Nothing crosses into guest memory on the way.
//
// Host tensors are freed explicitly: `tidy(fn)` frees every tensor fn made except what it returns
// and parameters; `backward()` frees the gradients it no longer needs as it goes.
import * as raw from '../gpu.js'

/** What an op gives back for each of its inputs: a gradient (owned by the caller), or undefined. */
export type GradFn = (grad: raw.Tensor) => Array<raw.Tensor | undefined>

let nextId = 1

/** The scopes of `tidy` calls under way: each collects the tensors made inside it. */
const scopes: Array<Set<Tensor>> = []

/**
 * A tensor with a gradient: a host tensor plus how it was made. Leaves that `requiresGrad`
 * (parameters) collect their gradient in `grad` on `backward()`.
 */
export class Tensor {
  /** @internal */
  readonly id = nextId++
  /** The host tensor. Replaced in place by optimisers (parameters only). */
  data: raw.Tensor
  /** The gradient collected by `backward()` (leaves that require one), until `zeroGrad`. */
  grad: raw.Tensor | undefined
  /** Whether gradients flow to (or through) this tensor. */
  readonly requiresGrad: boolean
  /** @internal The tensors this was made from, and how to turn its gradient into theirs. */
  readonly parents: readonly Tensor[]
  /** @internal */
  readonly gradFn: GradFn | undefined
  /** A parameter: kept by `tidy`, freed only by `dispose`. */
  readonly isParameter: boolean
  #shape: number[] | undefined
  #disposed = false

  /** @internal Use `nn.tensor`, `nn.parameter` or an op. */
  constructor (data: raw.Tensor, options: { requiresGrad?: boolean, parents?: readonly Tensor[], gradFn?: GradFn, parameter?: boolean, shape?: number[] } = {}) {
    this.data = data
    this.parents = options.parents ?? []
    this.gradFn = options.gradFn
    this.requiresGrad = options.requiresGrad ?? this.parents.some(p => p.requiresGrad)
    this.isParameter = options.parameter === true
    this.#shape = options.shape
    if (!this.isParameter) scopes[scopes.length - 1]?.add(this)
  }

  get shape (): number[] {
    this.#shape ??= this.data.shape
    return this.#shape.slice()
  }

  /** Number of elements. */
  get size (): number {
    return this.shape.reduce((a, b) => a * b, 1)
  }

  /** Whether `dispose` freed it. */
  get disposed (): boolean {
    return this.#disposed
  }

  /** The elements, copied into the guest. */
  toFloat32Array (): Float32Array {
    return this.data.toFloat32Array()
  }

  /** The value of a one-element tensor (a loss). */
  item (): number {
    const f = this.data.toFloat32Array()
    if (f.length !== 1) throw new RangeError(`item() needs a tensor of one element, this one has shape [${this.shape.join(', ')}]`)
    return f[0]!
  }

  /** The gradient collected in `grad`, copied into the guest (undefined before `backward`). */
  gradArray (): Float32Array | undefined {
    return this.grad?.toFloat32Array()
  }

  /**
   * Compute the gradient of this tensor (a loss: one element, unless `grad` is given) with respect
   * to every leaf it was made from that requires one, adding it into that leaf's `grad`.
   */
  backward (grad?: raw.Tensor | Float32Array): void {
    if (!this.requiresGrad) throw new TypeError('backward(): this tensor does not depend on any tensor that requires a gradient (parameters, or nn.tensor(..., { requiresGrad: true }))')
    let seed: raw.Tensor
    if (grad === undefined) {
      if (this.size !== 1) throw new TypeError(`backward() without a gradient needs a one-element tensor (a loss), this one has shape [${this.shape.join(', ')}]`)
      seed = raw.tensor(Float32Array.of(1), this.shape)
    } else {
      seed = grad instanceof Float32Array ? raw.tensor(grad, this.shape) : raw.scale(grad, 1)
    }
    runBackward(this, seed)
  }

  /** Free the host tensor (and its gradient) now. Idempotent. */
  dispose (): void {
    if (this.#disposed) return
    this.#disposed = true
    this.data.dispose()
    this.grad?.dispose()
    this.grad = undefined
  }

  /** @internal Free the gradient only. */
  zeroGrad (): void {
    this.grad?.dispose()
    this.grad = undefined
  }
}

/** The graph under `root`, inputs before the tensors made from them. */
function topological (root: Tensor): Tensor[] {
  const order: Tensor[] = []
  const seen = new Set<number>()
  // Iterative depth-first walk: graphs of long training loops are deep.
  const stack: Array<{ t: Tensor, next: number }> = [{ t: root, next: 0 }]
  seen.add(root.id)
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!
    if (top.next < top.t.parents.length) {
      const p = top.t.parents[top.next++]!
      if (p.requiresGrad && !seen.has(p.id)) {
        seen.add(p.id)
        stack.push({ t: p, next: 0 })
      }
    } else {
      order.push(top.t)
      stack.pop()
    }
  }
  return order
}

function runBackward (root: Tensor, seed: raw.Tensor): void {
  const order = topological(root)
  const grads = new Map<number, raw.Tensor>([[root.id, seed]])
  const accumulate = (t: Tensor, g: raw.Tensor): void => {
    const have = grads.get(t.id)
    if (have === undefined) {
      grads.set(t.id, g)
      return
    }
    grads.set(t.id, raw.add(have, g))
    have.dispose()
    g.dispose()
  }
  try {
    for (let i = order.length - 1; i >= 0; i--) {
      const t = order[i]!
      const g = grads.get(t.id)
      if (g === undefined) continue
      grads.delete(t.id)
      if (t.gradFn === undefined) {
        // A leaf: its gradient adds up over backward() calls until zeroGrad.
        if (t.grad === undefined) {
          t.grad = g
        } else {
          const sum = raw.add(t.grad, g)
          t.grad.dispose()
          g.dispose()
          t.grad = sum
        }
        continue
      }
      const out = t.gradFn(g)
      // Each gradient goes to one input: one given twice (add(a, a), or `g` itself passed on to
      // two inputs) is copied for the second.
      // (Copies are made before anything is accumulated: accumulating frees what it adds.)
      const taken = new Set<raw.Tensor>()
      const sends: Array<[Tensor, raw.Tensor]> = []
      for (const [k, p] of t.parents.entries()) {
        const pg = out[k]
        if (pg === undefined || !p.requiresGrad) continue
        sends.push([p, taken.has(pg) ? raw.scale(pg, 1) : pg])
        taken.add(pg)
      }
      for (const pg of new Set(out)) if (pg !== undefined && pg !== g && !taken.has(pg)) pg.dispose()
      if (!taken.has(g)) g.dispose()
      for (const [p, pg] of sends) accumulate(p, pg)
    }
  } finally {
    for (const g of grads.values()) g.dispose()
  }
}

/**
 * Run `fn`, then free every tensor it made (its intermediates, and the graph behind a loss)
 * except what it returns (a tensor, or tensors in an array or object) and parameters. Use it
 * around each training step of a long-lived actor: host memory stays flat.
 *
 * @example
 * const loss = nn.tidy(() => { const l = nn.crossEntropy(model.forward(x), y); l.backward(); return l.item() })
 */
export function tidy<T> (fn: () => T): T {
  const scope = new Set<Tensor>()
  scopes.push(scope)
  let result: T
  try {
    result = fn()
  } finally {
    scopes.pop()
  }
  const keep = new Set<Tensor>()
  collect(result, keep, 0)
  const outer = scopes[scopes.length - 1]
  for (const t of scope) {
    if (keep.has(t)) outer?.add(t)
    else t.dispose()
  }
  return result
}

function collect (v: unknown, into: Set<Tensor>, depth: number): void {
  if (depth > 4 || v === null || typeof v !== 'object') return
  if (v instanceof Tensor) {
    into.add(v)
    return
  }
  if (Array.isArray(v)) for (const x of v) collect(x, into, depth + 1)
  else if (Object.getPrototypeOf(v) === Object.prototype) for (const x of Object.values(v)) collect(x, into, depth + 1)
}

/** Whether gradients are recorded (off inside `noGrad`). */
let recording = true

/** Run `fn` without recording gradients (evaluation, optimiser updates): its ops make plain tensors. */
export function noGrad<T> (fn: () => T): T {
  const was = recording
  recording = false
  try {
    return fn()
  } finally {
    recording = was
  }
}

/** @internal Make an op's result: with its graph links while gradients are recorded and an input needs one. */
export function result (data: raw.Tensor, parents: readonly Tensor[], gradFn: GradFn, shape?: number[]): Tensor {
  const needs = recording && parents.some(p => p.requiresGrad)
  return needs ? new Tensor(data, { parents, gradFn, requiresGrad: true, ...(shape === undefined ? {} : { shape }) }) : new Tensor(data, shape === undefined ? {} : { shape })
}

/**
 * A tensor from data (Float32Array or numbers), `requiresGrad` false unless asked: an input.
 *
 * @example const x = nn.tensor(batch, [64, 784])
 */
export function tensor (data: Float32Array | ArrayLike<number>, shape?: readonly number[], options: { requiresGrad?: boolean } = {}): Tensor {
  const t = raw.tensor(data, shape)
  return new Tensor(t, { requiresGrad: options.requiresGrad === true, ...(shape === undefined ? {} : { shape: [...shape] }) })
}

/** A trainable tensor (a layer's weight): kept across `tidy` scopes, its gradient collected. */
export function parameter (data: Float32Array | ArrayLike<number>, shape: readonly number[]): Tensor {
  return new Tensor(raw.tensor(data, shape), { requiresGrad: true, parameter: true, shape: [...shape] })
}
