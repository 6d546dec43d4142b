// The serve benchmark's QuickJS guest: a no-op deployment, and a small MLP (64 → 256 → 10, ReLU)
// through the GPU bridge, answering one request per call or a batch per call.
import { actor, tensor, linear, relu, type Tensor } from 'fabric/guest'
import { HIDDEN, IN, OUT, weights } from './mlp-weights.js'

interface Req { body: unknown }

export class Noop extends actor {
  call (_req: Req): { ok: boolean } { return { ok: true } }
}

export class Mlp extends actor {
  private readonly w1: Tensor
  private readonly b1: Tensor
  private readonly w2: Tensor
  private readonly b2: Tensor
  constructor (seed: number) {
    super()
    const w = weights(seed)
    this.w1 = tensor(w.w1, [HIDDEN, IN])
    this.b1 = tensor(w.b1, [HIDDEN])
    this.w2 = tensor(w.w2, [OUT, HIDDEN])
    this.b2 = tensor(w.b2, [OUT])
  }

  /** `rows` inputs of IN features through the network: rows × OUT scores. */
  private forward (x: Float32Array, rows: number): Float32Array {
    const input = tensor(x, [rows, IN])
    const h = linear(input, this.w1, this.b1)
    const a = relu(h)
    const y = linear(a, this.w2, this.b2)
    const out = y.toFloat32Array()
    input.dispose(); h.dispose(); a.dispose(); y.dispose()
    return out
  }

  /** One request: `{ x: number[IN] }` → its OUT scores. */
  call (req: Req): number[] {
    return Array.from(this.forward(Float32Array.from((req.body as { x: number[] }).x), 1))
  }

  /** A batch of requests in one forward pass. */
  batch (reqs: Req[]): number[][] {
    const x = new Float32Array(reqs.length * IN)
    reqs.forEach((r, i) => x.set((r.body as { x: number[] }).x, i * IN))
    const y = this.forward(x, reqs.length)
    return reqs.map((_, i) => Array.from(y.subarray(i * OUT, (i + 1) * OUT)))
  }
}
