// The dashboard's query strings: each list's filters and limit, the logs query, and the messages a
// bad one gets (answered with 400 by the server).
import assert from 'node:assert/strict'
import { parseListQuery, parseLogQuery } from '../../src/dashboard/index.js'

const q = (s: string): URLSearchParams => new URLSearchParams(s)

describe('dashboard/query', () => {
  it('takes a list\'s filters and limit; empty values are no filter', () => {
    assert.deepEqual(parseListQuery('tasks', q('state=failed&job=job-1&name=&limit=50')), { filters: { state: 'failed', job: 'job-1' }, limit: 50 })
    assert.deepEqual(parseListQuery('tasks', q('')), { filters: {}, limit: 200 })
    assert.deepEqual(parseListQuery('nodes', q('state=alive')), { filters: { state: 'alive' }, limit: 1000 })
    assert.deepEqual(parseListQuery('objects', q('spilled=true')), { filters: { spilled: 'true' }, limit: 200 })
  })

  it('refuses an unknown parameter, a repeated one, a bad limit, a state that is none, a long value', () => {
    const refuses = (kind: 'tasks' | 'actors', s: string, re: RegExp): void => {
      assert.throws(() => parseListQuery(kind, q(s)), (e: Error) => e.name === 'DashboardQueryError' && re.test(e.message))
    }
    refuses('tasks', 'colour=red', /\/api\/tasks: unknown parameter 'colour'; use state, job, name, node, kind, id, limit/)
    refuses('tasks', 'job=a&job=b', /'job' given twice/)
    refuses('tasks', 'limit=0', /limit must be an integer from 1 to 10000, got '0'/)
    refuses('tasks', 'limit=10001', /from 1 to 10000/)
    refuses('tasks', 'limit=1e3', /got '1e3'/)
    refuses('tasks', 'state=done', /state 'done' is not one of waiting-for-args, waiting-for-resources, queued, running, finished, failed, cancelled/)
    refuses('actors', 'state=zombie', /state 'zombie' is not one of creating, alive, restarting, dead/)
    refuses('tasks', `name=${'x'.repeat(257)}`, /'name' is longer than 256 characters/)
  })

  it('takes a logs query: job, task, actor and a tail of 1-1000', () => {
    assert.deepEqual(parseLogQuery(q('job=job-1&tail=20')), { filter: { job: 'job-1' }, tail: 20 })
    assert.deepEqual(parseLogQuery(q('')), { filter: {}, tail: 200 })
    assert.throws(() => parseLogQuery(q('tail=5000')), /\/api\/logs: tail must be an integer from 1 to 1000/)
    assert.throws(() => parseLogQuery(q('level=error')), /unknown parameter 'level'; use job, task, actor, tail/)
  })
})
