// Yamux receive-window updates at half a window, not after every data frame. @libp2p/yamux 8
// answers each data frame it receives with a window-update frame as soon as any of the window was
// used: for small messages (a task request, a result) that doubles the frames on the wire, and each
// is one more socket write and one more wake-up of the peer's event loop, on a 2-core machine the
// largest single cost of a remote call after the call itself. Here an established stream tells its
// peer of the space it freed once that is at least half its window, as go-yamux and the yamux
// spec's reference implementation do. The sender always keeps at least half a window of credit, so
// no stream waits for an update it would otherwise have had; new streams (SYN/ACK), a paused
// stream's resume past half a window, and window growth are as before. Loaded once by net-node.ts.
import { StreamState, YamuxStream } from '@libp2p/yamux/stream'

interface WindowState { state: StreamState, recvWindow: number, recvWindowCapacity: number }
type Patched = { sendWindowUpdate: (this: WindowState) => void, [PATCHED]?: true }

const PATCHED = Symbol.for('wasm-fabric.yamux-half-window-updates')
const proto = YamuxStream.prototype as unknown as Patched

if (proto[PATCHED] !== true) {
  const sendWindowUpdate = proto.sendWindowUpdate
  proto.sendWindowUpdate = function (this: WindowState): void {
    if (this.state === StreamState.Established && this.recvWindow - this.recvWindowCapacity < this.recvWindow / 2) return
    sendWindowUpdate.call(this)
  }
  proto[PATCHED] = true
}
