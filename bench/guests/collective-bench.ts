// The all-reduce benchmark's member: `rounds` all-reduces of a tensor of `elements` ones (made in
// the host once), the result replacing the tensor each round.
import { actor, collective, tensor } from 'wasm-fabric/guest'

export class Member extends actor {
  rounds (elements: number, rounds: number, group: string): number {
    let t = tensor(new Float32Array(elements).fill(1), [elements])
    for (let i = 0; i < rounds; i++) {
      const next = collective.allReduce(t, { group, op: 'mean' })
      t.dispose()
      t = next
    }
    t.dispose()
    return rounds
  }
}
