// The data benchmark's batch function: arithmetic over numeric columns (what a feature transform does).
import { task } from 'fabric/guest'

/** x → (x - 3) * 0.5 + sqrt(|x|) on the `id` column; a new column `y`. */
export const transform = task((cols: { id: Float64Array }) => {
  const x = cols.id
  const y = new Float64Array(x.length)
  for (let i = 0; i < x.length; i++) y[i] = (x[i]! - 3) * 0.5 + Math.sqrt(Math.abs(x[i]!))
  return { id: x, y }
})

/** A row function: a record in, a record out (what `map` gives a user's function). */
export const score = task((row: { id: number }) => ({ id: row.id, score: row.id * 0.5 + 1, tag: row.id % 2 === 0 ? 'even' : 'odd' }))
