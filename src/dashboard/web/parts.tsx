// Small pieces the panels share: a panel frame, a state badge, a table of rows.
import type { ComponentChildren } from 'preact'
import { STATE_COLORS } from './format.js'

export function Panel (props: { id: string, title: string, note?: ComponentChildren, children: ComponentChildren }) {
  return (
    <section class="panel" id={props.id}>
      <header><h2>{props.title}</h2>{props.note !== undefined && <span class="note">{props.note}</span>}</header>
      {props.children}
    </section>
  )
}

export function Badge (props: { state: string }) {
  return <span class="badge" style={{ background: STATE_COLORS[props.state] ?? '#9aa5b1' }}>{props.state}</span>
}

/** Why a list is empty, unavailable or partial. */
export function ListNotes (props: { error?: string, unavailable?: string, truncated?: boolean, unreachable?: string[], empty: boolean, what: string }) {
  return (
    <>
      {props.error !== undefined && <p class="error">{props.error}</p>}
      {props.unavailable !== undefined && <p class="muted unavailable">not available: {props.unavailable}</p>}
      {props.unavailable === undefined && props.empty && <p class="muted">no {props.what}</p>}
      {props.truncated === true && <p class="muted">more {props.what} matched than shown</p>}
      {props.unreachable !== undefined && props.unreachable.length > 0 && <p class="error">no answer from {props.unreachable.join(', ')}</p>}
    </>
  )
}
