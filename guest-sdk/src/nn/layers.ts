// Layers (torch.nn's names): modules hold parameters and map an input tensor to an output one.
// A module's parameters are its own Tensor fields that are parameters, then its sub-modules', in
// the order the fields were set: `stateDict()` names them by path ("0.weight", "fc.bias").
import * as raw from '../gpu.js'
import { parameter, type Tensor } from './autograd.js'
import { conv2d, dropout, gelu, linear, relu, reshape, sigmoid, tanh } from './functional.js'
import { random as defaultRandom, type Random } from './random.js'

/** A layer, or a model made of them. */
export abstract class Module {
  /** Training mode (dropout active) or evaluation mode. */
  training = true

  abstract forward (x: Tensor): Tensor

  /** Sub-modules and parameters, by field name, in the order they were set. */
  namedParameters (prefix = ''): Array<[string, Tensor]> {
    const out: Array<[string, Tensor]> = []
    for (const [name, v] of Object.entries(this)) {
      const path = prefix === '' ? name : `${prefix}.${name}`
      if (isParameter(v)) out.push([path, v])
      else if (v instanceof Module) out.push(...v.namedParameters(path))
      else if (Array.isArray(v)) v.forEach((m, i) => { if (m instanceof Module) out.push(...m.namedParameters(prefix === '' ? String(i) : `${prefix}.${i}`)) })
    }
    return out
  }

  parameters (): Tensor[] {
    return this.namedParameters().map(([, p]) => p)
  }

  /** Every sub-module, depth first (this one first). */
  modules (): Module[] {
    const out: Module[] = [this]
    for (const v of Object.values(this)) {
      if (v instanceof Module) out.push(...v.modules())
      else if (Array.isArray(v)) for (const m of v) if (m instanceof Module) out.push(...m.modules())
    }
    return out
  }

  /** Training mode (the default): dropout drops. */
  train (on = true): this {
    for (const m of this.modules()) m.training = on
    return this
  }

  /** Evaluation mode: dropout passes everything. */
  eval (): this {
    return this.train(false)
  }

  /** Drop every parameter's gradient. */
  zeroGrad (): void {
    for (const p of this.parameters()) p.zeroGrad()
  }

  /** Number of trainable numbers. */
  parameterCount (): number {
    return this.parameters().reduce((n, p) => n + p.size, 0)
  }

  /** The parameters' values by path, copied into the guest (a checkpoint). */
  stateDict (): Record<string, Float32Array> {
    return Object.fromEntries(this.namedParameters().map(([name, p]) => [name, p.toFloat32Array()]))
  }

  /**
   * Set every parameter from a state dict (by path; the same shapes).
   *
   * @throws TypeError naming a missing or mis-sized entry
   */
  loadStateDict (state: Record<string, Float32Array | ArrayLike<number>>): void {
    for (const [name, p] of this.namedParameters()) {
      const v = state[name]
      if (v === undefined) throw new TypeError(`loadStateDict: no entry '${name}' (it has ${Object.keys(state).join(', ') || 'none'})`)
      if (v.length !== p.size) throw new TypeError(`loadStateDict: '${name}' has ${v.length} numbers, the parameter [${p.shape.join(', ')}] needs ${p.size}`)
      const next = raw.tensor(v instanceof Float32Array ? v : Float32Array.from(v), p.shape)
      p.data.dispose()
      p.data = next
    }
  }

  /** Every parameter's values in one flat array (the order of `parameters()`): what travels between workers. */
  toFloat32Array (): Float32Array {
    const params = this.parameters()
    const out = new Float32Array(params.reduce((n, p) => n + p.size, 0))
    let at = 0
    for (const p of params) {
      out.set(p.toFloat32Array(), at)
      at += p.size
    }
    return out
  }

  /** Set every parameter from one flat array made by `toFloat32Array` of a model of this shape. */
  loadFloat32Array (flat: Float32Array): void {
    const params = this.parameters()
    const need = params.reduce((n, p) => n + p.size, 0)
    if (flat.length !== need) throw new TypeError(`loadFloat32Array: ${flat.length} numbers for ${need} parameters`)
    let at = 0
    for (const p of params) {
      const next = raw.tensor(flat.subarray(at, at + p.size), p.shape)
      p.data.dispose()
      p.data = next
      at += p.size
    }
  }

  /** Free every parameter's host tensor. */
  dispose (): void {
    for (const p of this.parameters()) p.dispose()
  }
}

function isParameter (v: unknown): v is Tensor {
  return typeof v === 'object' && v !== null && (v as { isParameter?: unknown }).isParameter === true
}

/** Options of a layer with weights: whether it has a bias, and the generator its initial weights come from. */
export interface LayerOptions {
  /** @default true */
  bias?: boolean
  /** @default nn.random (reset by nn.manualSeed) */
  random?: Random
}

/** A fully connected layer: x·wᵀ + b, weights drawn as PyTorch does (uniform in ±1/√in). */
export class Linear extends Module {
  readonly weight: Tensor
  readonly bias: Tensor | undefined

  constructor (readonly inFeatures: number, readonly outFeatures: number, options: LayerOptions = {}) {
    super()
    if (!Number.isInteger(inFeatures) || inFeatures < 1 || !Number.isInteger(outFeatures) || outFeatures < 1) throw new RangeError(`Linear(${inFeatures}, ${outFeatures}): sizes must be positive integers`)
    const rng = options.random ?? defaultRandom
    const bound = 1 / Math.sqrt(inFeatures)
    this.weight = parameter(rng.uniform(inFeatures * outFeatures, -bound, bound), [outFeatures, inFeatures])
    this.bias = options.bias === false ? undefined : parameter(rng.uniform(outFeatures, -bound, bound), [outFeatures])
  }

  forward (x: Tensor): Tensor {
    return linear(x, this.weight, this.bias)
  }
}

/** A 2-D convolution over [n, c, h, w] inputs. */
export class Conv2d extends Module {
  readonly weight: Tensor
  readonly bias: Tensor | undefined
  readonly stride: number
  readonly padding: number

  constructor (readonly inChannels: number, readonly outChannels: number, kernelSize: number | [number, number], options: LayerOptions & { stride?: number, padding?: number } = {}) {
    super()
    const [r, s] = typeof kernelSize === 'number' ? [kernelSize, kernelSize] : kernelSize
    const rng = options.random ?? defaultRandom
    const bound = 1 / Math.sqrt(inChannels * r * s)
    this.weight = parameter(rng.uniform(outChannels * inChannels * r * s, -bound, bound), [outChannels, inChannels, r, s])
    this.bias = options.bias === false ? undefined : parameter(rng.uniform(outChannels, -bound, bound), [outChannels])
    this.stride = options.stride ?? 1
    this.padding = options.padding ?? 0
  }

  forward (x: Tensor): Tensor {
    return conv2d(x, this.weight, { ...(this.bias === undefined ? {} : { bias: this.bias }), stride: this.stride, padding: this.padding })
  }
}

export class ReLU extends Module {
  forward (x: Tensor): Tensor { return relu(x) }
}

/** GELU (tanh approximation). */
export class GELU extends Module {
  forward (x: Tensor): Tensor { return gelu(x) }
}

export class Tanh extends Module {
  forward (x: Tensor): Tensor { return tanh(x) }
}

export class Sigmoid extends Module {
  forward (x: Tensor): Tensor { return sigmoid(x) }
}

/** Flattens every dimension after the first: [n, ...] -> [n, product]. */
export class Flatten extends Module {
  forward (x: Tensor): Tensor { return reshape(x, [x.shape[0]!, -1]) }
}

/** Zeroes elements with probability p while training (each forward a fresh mask from its generator). */
export class Dropout extends Module {
  readonly #random: Random | undefined

  constructor (readonly p = 0.5, random?: Random) {
    super()
    if (!(p >= 0 && p < 1)) throw new RangeError(`Dropout(${p}): p must be in [0, 1)`)
    this.#random = random
  }

  forward (x: Tensor): Tensor {
    if (!this.training || this.p === 0) return x
    return dropout(x, this.p, (this.#random ?? defaultRandom).seed())
  }
}

/** Modules applied in order. */
export class Sequential extends Module {
  readonly layers: Module[]

  constructor (...layers: Module[]) {
    super()
    this.layers = layers
  }

  forward (x: Tensor): Tensor {
    let y = x
    for (const l of this.layers) y = l.forward(y)
    return y
  }

  override namedParameters (prefix = ''): Array<[string, Tensor]> {
    return this.layers.flatMap((m, i) => m.namedParameters(prefix === '' ? String(i) : `${prefix}.${i}`))
  }
}
