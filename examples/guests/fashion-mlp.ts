// The guest of examples/train-fashion-mnist.ts: a data-parallel worker training an MLP on its
// shard of Fashion-MNIST. Each epoch it averages gradients with the other workers every step
// (nn.allReduceGradients), measures accuracy on its shard of the test set (summed over the
// workers), and yields a report: the metrics, and rank 0 a checkpoint to restart from.
import { actor, collective, shardBatches, stackRows, tensor, type TrainContext } from 'wasm-fabric/guest'
import * as nn from 'wasm-fabric/guest/nn'

/** A row of the dataset: 784 pixels (0-255) and the class (0-9). */
export interface Image { image: Uint8Array, label: number }

export interface Config {
  epochs: number
  batchSize: number
  lr: number
  hidden: number
  seed: number
}

interface State { epoch: number, model: Record<string, Float32Array> }

export class Worker extends actor {
  * train (ctx: TrainContext<Config>): Generator<{ metrics: Record<string, number>, checkpoint?: State }> {
    const { epochs, batchSize, lr, hidden, seed } = ctx.config
    nn.manualSeed(seed)
    const model = new nn.Sequential(new nn.Linear(784, hidden), new nn.ReLU(), new nn.Linear(hidden, 10))
    const opt = nn.adam(model.parameters(), { lr })
    const restored = ctx.checkpoint as State | undefined
    if (restored !== undefined) model.loadStateDict(restored.model)
    // Every worker starts from rank 0's weights (the same here anyway: one seed).
    nn.broadcastParameters(model.parameters(), { group: ctx.group })
    const input = (rows: Image[]): nn.Tensor => nn.scale(nn.tensor(stackRows(rows as unknown as Array<Record<string, unknown>>, 'image'), [rows.length, 784]), 1 / 255)
    for (let epoch = restored === undefined ? 0 : restored.epoch + 1; epoch < epochs; epoch++) {
      model.train()
      let loss = 0
      let steps = 0
      for (const rows of shardBatches<Image>(ctx, { batchSize, shuffle: seed, epoch })) {
        loss += nn.tidy(() => {
          const l = nn.crossEntropy(model.forward(input(rows)), rows.map(r => r.label))
          l.backward()
          return l.item()
        })
        nn.allReduceGradients(model.parameters(), { group: ctx.group })
        opt.step()
        opt.zeroGrad()
        steps++
      }
      // Accuracy on the test shards, summed over the workers.
      model.eval()
      let right = 0
      let seen = 0
      if (ctx.shards.test !== undefined) {
        for (const rows of shardBatches<Image>(ctx, { batchSize: 500, dataset: 'test' })) {
          const scores = nn.tidy(() => nn.noGrad(() => model.forward(input(rows)).toFloat32Array()))
          for (let i = 0; i < rows.length; i++) {
            let best = 0
            for (let c = 1; c < 10; c++) if (scores[i * 10 + c]! > scores[i * 10 + best]!) best = c
            if (best === rows[i]!.label) right++
          }
          seen += rows.length
        }
      }
      const totals = collective.allReduce(tensor([right, seen, loss, steps], [4]), { group: ctx.group }).toFloat32Array()
      const metrics = { epoch, loss: totals[2]! / Math.max(1, totals[3]!), accuracy: totals[0]! / Math.max(1, totals[1]!), samples: totals[3]! * batchSize }
      yield ctx.rank === 0 ? { metrics, checkpoint: { epoch, model: model.stateDict() } } : { metrics }
    }
  }
}
