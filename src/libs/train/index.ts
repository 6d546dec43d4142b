// `wasm-fabric/train`: data-parallel training on the driver contract (Ray Train on Ray Core).
// `train.dataParallel(fabric, m.Worker, { numWorkers, datasets, config }).fit()`; the workers'
// guests use `wasm-fabric/guest/nn` and `shardBatches`. See docs/train.md.
export { dataParallel, DataParallelTrainer } from './trainer.js'
export { TrainingFailedError } from './errors.js'
export type { Checkpoint, DataParallelOptions, Report, TrainResult } from './interface.js'
