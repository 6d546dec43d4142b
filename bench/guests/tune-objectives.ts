// The tune benchmark's trainables: Branin and Hartmann-6 (test functions with known minima) as
// tasks taking a config, and a synthetic learning curve as an actor class with setup/step.
import { task, actor } from 'fabric/guest'
import { braninValue, hartmann6Value } from './tune-functions.js'

export const branin = task((config: { x1: number, x2: number }) => ({ value: braninValue(config.x1, config.x2) }))

export const hartmann6 = task((config: { x1: number, x2: number, x3: number, x4: number, x5: number, x6: number }) =>
  ({ value: hartmann6Value([config.x1, config.x2, config.x3, config.x4, config.x5, config.x6]) }))

/** A learning curve: loss falls from floor + 1 towards floor at `rate`. */
export class LearningCurve extends actor {
  floor = 0
  rate = 1
  t = 0
  setup (config: { floor: number, rate: number }) { this.floor = config.floor; this.rate = config.rate }
  step () { this.t++; return { loss: this.floor + 1 / (1 + this.rate * this.t) } }
  saveCheckpoint () { return this.t }
  loadCheckpoint (t: number) { this.t = t }
}
