// The row functions of examples/etl.ts: what a user's component gives the data library.
import { task } from 'fabric/guest'

export interface Order { order: number, customer: string, amount: number | null, status: string }
export interface Customer { customer: string, name: string, country: string }

/** Orders worth keeping: delivered, with an amount. */
export const isValid = task((o: Order) => o.status === 'delivered' && typeof o.amount === 'number' && o.amount > 0)

/** An order as the join sees it: keyed by customer, tagged as an order. */
export const asOrder = task((o: Order) => ({ customer: o.customer, kind: 'order', amount: o.amount! }))

/** A customer as the join sees it. */
export const asCustomer = task((c: Customer) => ({ customer: c.customer, kind: 'customer', name: c.name, country: c.country }))

type Tagged = { customer: string, kind: 'order' | 'customer', amount?: number, name?: string, country?: string }

/** One customer's rows (their record and their orders) joined into one row: an inner join by key. */
export const joinCustomer = task((g: { key: unknown, rows: Tagged[] }) => {
  const who = g.rows.find(r => r.kind === 'customer')
  const orders = g.rows.filter(r => r.kind === 'order')
  return {
    customer: g.key as string,
    name: who?.name ?? null,
    country: who?.country ?? null,
    orders: orders.length,
    total: Math.round(orders.reduce((t, r) => t + r.amount!, 0) * 100) / 100
  }
})

/** Joined rows with at least one order and a known customer. */
export const hasOrders = task((r: { orders: number, name: string | null }) => r.orders > 0 && r.name !== null)
