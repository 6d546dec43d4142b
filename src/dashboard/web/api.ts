// The page's reads: the server's JSON endpoints, polled while the page is open (the live update).
import { useEffect, useState } from 'preact/hooks'

/** A state row (the state API's flat records). */
export type Row = Record<string, string | number | boolean>

/** A list endpoint's answer. */
export type ListReply =
  | { available: true, rows: Row[], truncated: boolean, unreachable?: string[], at: number }
  | { available: false, reason: string, at: number }

export interface LogLine { seq: number, time: number, level: string, node: string, job?: string, task?: string, actor?: string, name: string, message: string }
export type LogsReply = { available: true, lines: LogLine[], truncated: boolean, unreachable?: string[], at: number } | { available: false, reason: string, at: number }
export interface HistoryReply { sampleMs: number, historyMs: number, states: string[], samples: Array<{ t: number, counts: Record<string, number> }> }
export interface FabricReply { peerId: string, fabricName: string, sampleMs: number, at: number }

/** How often the page asks again. */
export const POLL_MS = 2000

/** The endpoint `path` with `params` (empty values left out). */
export function apiUrl (path: string, params: Record<string, string | number | undefined> = {}): string {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v))
  const s = q.toString()
  return s === '' ? path : `${path}?${s}`
}

/** The latest answer of `url`, asked every `everyMs` (and at once when `url` changes). */
export function usePoll<T> (url: string | undefined, everyMs = POLL_MS): { data?: T, error?: string } {
  const [state, setState] = useState<{ url?: string, data?: T, error?: string }>({})
  useEffect(() => {
    if (url === undefined) return
    let stopped = false
    let timer: ReturnType<typeof setTimeout> | undefined
    const ctl = new AbortController()
    const tick = async (): Promise<void> => {
      // A hidden tab asks nothing; it catches up as soon as it is shown again.
      if (document.hidden) {
        timer = setTimeout(() => { void tick() }, 250)
        return
      }
      try {
        const res = await fetch(url, { signal: ctl.signal })
        const json = (res.headers.get('content-type') ?? '').startsWith('application/json')
        const body = json ? await res.json() as T & { error?: string } : undefined
        if (stopped) return
        if (!res.ok || body === undefined) setState(s => ({ ...s, url, error: body?.error ?? `${url}: HTTP ${res.status}` }))
        else setState({ url, data: body })
      } catch (err) {
        if (stopped) return
        setState(s => ({ ...s, url, error: `the dashboard server does not answer (${(err as Error).message})` }))
      }
      if (!stopped) timer = setTimeout(() => { void tick() }, everyMs)
    }
    void tick()
    return () => {
      stopped = true
      clearTimeout(timer)
      ctl.abort()
    }
  }, [url, everyMs])
  // Data of a previous URL stays shown until the new one answers (no flicker on filter changes).
  return { data: state.data, error: state.error }
}
