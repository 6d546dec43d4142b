// Further gossip topics beside the resources one (memo entries, ...): subscribe to
// `fabric/<name>/<topic>`, refuse what the owner's validator refuses (not delivered, not forwarded),
// deliver the rest with the signed sender, publish best effort.
import './polyfill.js'
import { TopicValidatorResult } from '@libp2p/gossipsub'
import type { GossipSub, Message } from '@libp2p/gossipsub'
import type { Logger, PeerId } from '@libp2p/interface'
import type { TopicHandle, TopicHandler } from './interface.js'

/** Largest message any extra topic carries. */
export const MAX_TOPIC_MESSAGE_BYTES = 256 * 1024

export function openTopic (pubsub: GossipSub, topic: string, handler: TopicHandler, log: Logger): TopicHandle {
  // Runs before delivery and forwarding: the handler sees only what its validator accepted.
  const accepted = new WeakMap<Message, unknown>()
  const validate = (_from: PeerId, message: Message): TopicValidatorResult => {
    if (message.type !== 'signed' || message.data.byteLength > MAX_TOPIC_MESSAGE_BYTES) return TopicValidatorResult.Reject
    try {
      accepted.set(message, handler.validate(message.data))
      return TopicValidatorResult.Accept
    } catch (err) {
      log('refused a message on %s - %e', topic, err)
      return TopicValidatorResult.Reject
    }
  }
  const onMessage = (evt: CustomEvent<Message>): void => {
    const message = evt.detail
    if (message.topic !== topic || message.type !== 'signed') return
    const value = accepted.has(message) ? accepted.get(message) : undefined
    if (value === undefined) return
    try {
      handler.deliver(message.from.toString(), value)
    } catch (err) {
      log('a message on %s was not taken - %e', topic, err)
    }
  }
  pubsub.topicValidators.set(topic, validate)
  pubsub.addEventListener('message', onMessage)
  pubsub.subscribe(topic)
  let open = true
  return {
    publish: async (data) => {
      if (!open) return
      if (data.byteLength > MAX_TOPIC_MESSAGE_BYTES) throw new RangeError(`a message on ${topic} has ${data.byteLength} bytes, over the ${MAX_TOPIC_MESSAGE_BYTES} a topic carries`)
      try {
        await pubsub.publish(topic, data)
      } catch (err) {
        // No peers yet, or pubsub stopping: gossip is best effort (lookups cover what it misses).
        log('publish on %s failed - %e', topic, err)
      }
    },
    close: () => {
      if (!open) return
      open = false
      pubsub.removeEventListener('message', onMessage)
      pubsub.topicValidators.delete(topic)
      try { pubsub.unsubscribe(topic) } catch { /* pubsub already stopped */ }
    }
  }
}
