// Fashion-MNIST from Debian's dataset-fashion-mnist (/usr/share/datasets/fashion-mnist): the IDX
// files read at the driver into rows { image, label }, as a dataset of wasm-fabric/data.
import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import type { Data, Dataset } from 'wasm-fabric/data'

/** Where Debian installs it. */
export const FASHION_MNIST_DIR = process.env.FASHION_MNIST_DIR ?? '/usr/share/datasets/fashion-mnist'

/** Whether the files are there (`apt-get install dataset-fashion-mnist`). */
export function haveFashionMnist (): boolean {
  return fs.existsSync(path.join(FASHION_MNIST_DIR, 'train-images-idx3-ubyte.gz'))
}

/** The rows of one split: `limit` first images (all by default). */
export function readFashionMnist (split: 'train' | 't10k', limit = Infinity): Array<{ image: Uint8Array, label: number }> {
  const images = zlib.gunzipSync(fs.readFileSync(path.join(FASHION_MNIST_DIR, `${split}-images-idx3-ubyte.gz`)))
  const labels = zlib.gunzipSync(fs.readFileSync(path.join(FASHION_MNIST_DIR, `${split}-labels-idx1-ubyte.gz`)))
  if (images.readUInt32BE(0) !== 2051 || labels.readUInt32BE(0) !== 2049) throw new Error(`${FASHION_MNIST_DIR}: not IDX image and label files`)
  const count = Math.min(images.readUInt32BE(4), labels.readUInt32BE(4), limit)
  const rows = images.readUInt32BE(8) * images.readUInt32BE(12)
  if (rows !== 784) throw new Error(`${FASHION_MNIST_DIR}: images of ${rows} pixels, not 28x28`)
  return Array.from({ length: count }, (_v, i) => ({ image: new Uint8Array(images.subarray(16 + i * 784, 16 + (i + 1) * 784)), label: labels[8 + i]! }))
}

/** The train and test splits as datasets of `d` (`data(fabric)`), in blocks of `blockRows` rows. */
export function fashionMnist (d: Data, options: { train?: number, test?: number, blockRows?: number } = {}): { train: Dataset, test: Dataset } {
  const train = readFashionMnist('train', options.train)
  const test = readFashionMnist('t10k', options.test)
  const block = options.blockRows ?? 500
  return {
    train: d.fromItems(train, { parallelism: Math.ceil(train.length / block) }),
    test: d.fromItems(test, { parallelism: Math.ceil(test.length / block) })
  }
}
