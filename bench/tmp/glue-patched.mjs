const __fabricJcoDebug = Boolean(globalThis.process?.env?.JCO_DEBUG);
"use components";
export function instantiate(getCoreModule, imports, instantiateCore = (module, importObject) => new WebAssembly.Instance(module, importObject)) {
  
  const emptyFunc = () => {};
  
  let dv = new DataView(new ArrayBuffer());
  const dataView = mem => dv.buffer === mem.buffer ? dv : dv = new DataView(mem.buffer);
  
  function _isValidNumericPrimitive(ty, v) {
    if (v === undefined || v === null) { return false; }
    switch (ty) {
      case 'bool':
      return v === 0 || v === 1;
      break;
      case 'u8':
      return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 255;
      break;
      case 's8':
      return typeof v === 'number' && Number.isInteger(v) && v >= -128 && v <= 127;
      break;
      case 'u16':
      return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 65535;
      break;
      case 's16':
      return typeof v === 'number' && Number.isInteger(v) && v >= -32768 && v <= 32767;
      case 'u32':
      return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 4_294_967_295;
      case 's32':
      return typeof v === 'number' && Number.isInteger(v) && v >= -2_147_483_648 && v <= 2_147_483_647;
      case 'u64':
      return typeof v === 'bigint' && v >= 0 && v <= 18_446_744_073_709_551_615n;
      case 's64':
      return typeof v === 'bigint' && v >= -9223372036854775808n && v <= 9223372036854775807n;
      break;
      case 'f32':
      case 'f64': return typeof v === 'number';
      default:
      return false;
    }
    return true;
  }
  
  function _requireValidNumericPrimitive(ty, v) {
    if (v === undefined  || v === null || !_isValidNumericPrimitive(ty, v)) {
      throw new TypeError(`invalid ${ty} value [${v}]`);
    }
    return true;
  }
  const utf16Decoder = new TextDecoder('utf-16');
  
  const isLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  
  function _utf16AllocateAndEncode(str, realloc, memory) {
    const len = str.length;
    const ptr = realloc(0, 0, 2, len * 2);
    const out = new Uint16Array(memory.buffer, ptr, len);
    let i = 0;
    if (isLE) {
      while (i < len) { out[i] = str.charCodeAt(i++); }
    } else {
      while (i < len) {
        const ch = str.charCodeAt(i);
        out[i++] = (ch & 0xff) << 8 | ch >>> 8;
      }
    }
    return { ptr, len, codepoints: [...str].length };
  }
  
  const TEXT_DECODER_UTF8 = new TextDecoder();
  const TEXT_ENCODER_UTF8 = new TextEncoder();
  
  function _utf8AllocateAndEncode(s, realloc, memory) {
    if (typeof s !== 'string') {
      throw new TypeError('expected a string, received [' + typeof s + ']');
    }
    if (s.length === 0) { return { ptr: 1, len: 0 }; }
    // Compute the exact allocation size up front. Some older preview1
    // adapters only support an initial allocation, not a subsequent shrink.
    let len = 0;
    let codepoints = 0;
    for (let i = 0; i < s.length; i++) {
      const ch = s.charCodeAt(i);
      codepoints++;
      if (ch < 0x80) { len += 1; }
      else if (ch < 0x800) { len += 2; }
      else if (ch >= 0xd800 && ch <= 0xdbff &&
      i + 1 < s.length &&
      (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
        len += 4;
        i++;
      } else { len += 3; }
    }
    const ptr = realloc(0, 0, 1, len);
    const { read, written } = TEXT_ENCODER_UTF8.encodeInto(
    s,
    new Uint8Array(memory.buffer, ptr, len),
    );
    if (read !== s.length || written !== len) {
      throw new Error('failed to encode whole string');
    }
    const res = { ptr, len, codepoints };
    return res;
  }
  
  const T_FLAG = 1 << 30;
  
  function rscTableCreateBorrow(table, rep, scopeId) {
    if (scopeId === undefined) { throw new Error("missing scopeId"); }
    const free = table[0] & ~T_FLAG;
    if (free === 0) {
      table.push(scopeId);
      table.push(rep);
      return (table.length >> 1) - 1;
    }
    table[0] = table[free << 1];
    table[free << 1] = scopeId;
    table[(free << 1) + 1] = rep;
    return free;
  }
  
  
  function rscTableCreateOwn(table, rep) {
    const free = table[0] & ~T_FLAG;
    table._createdReps.add(rep);
    if (free === 0) {
      table.push(0);
      table.push(rep | T_FLAG);
      return (table.length >> 1) - 1;
    }
    table[0] = table[free << 1];
    table[free << 1] = 0;
    table[(free << 1) + 1] = rep | T_FLAG;
    return free;
  }
  
  const WebAssemblyRuntimeError = WebAssembly.RuntimeError;
  
  function rscTableGet(table, handle) {
    const scope = table[handle << 1];
    const val = table[(handle << 1) + 1];
    const own = (val & T_FLAG) !== 0;
    const rep = val & ~T_FLAG;
    if (rep === 0 || (scope & T_FLAG) !== 0) {
      // Resource entries occupy scope/rep pairs after the table sentinel.
      throw new WebAssemblyRuntimeError(`unknown handle index ${(handle << 1) + 1}`);
    }
    return { rep, scope, own };
  }
  
  const RESOURCE_SCOPE_TASKS = new Map();
  
  function rscTableRemove(table, handle) {
    const scope = table[handle << 1];
    const val = table[(handle << 1) + 1];
    const own = (val & T_FLAG) !== 0;
    const rep = val & ~T_FLAG;
    if (val === 0 || (scope & T_FLAG) !== 0) {
      // Resource entries occupy scope/rep pairs after the table sentinel.
      throw new WebAssemblyRuntimeError(`unknown handle index ${(handle << 1) + 1}`);
    }
    if (own && scope !== 0) {
      throw new WebAssemblyRuntimeError('cannot remove owned resource while borrowed');
    }
    const borrowTask = own ? undefined : RESOURCE_SCOPE_TASKS.get(scope);
    table[handle << 1] = table[0] | T_FLAG;
    table[0] = handle | T_FLAG;
    borrowTask?.removeBorrowedHandle();
    return { rep, scope, own };
  }
  
  let RESOURCE_CALL_BORROWS = [];let RESOURCE_SCOPE_ID = 0;
  const ASYNC_TASKS_BY_COMPONENT_IDX = new Map();
  const ASYNC_CURRENT_COMPONENT_IDXS = [];
  
  function getCurrentTask(componentIdx, taskID) {
    let usedGlobal = false;
    if (componentIdx === undefined || componentIdx === null) {
      throw new Error('missing component idx'); // TODO(fix)
      // componentIdx = ASYNC_CURRENT_COMPONENT_IDXS.at(-1);
      // usedGlobal = true;
    }
    
    const taskMetas = ASYNC_TASKS_BY_COMPONENT_IDX.get(componentIdx);
    if (taskMetas === undefined || taskMetas.length === 0) { return undefined; }
    
    if (taskID) {
      return taskMetas.find(meta => meta.task.id() === taskID);
    }
    
    const taskMeta = taskMetas[taskMetas.length - 1];
    if (!taskMeta || !taskMeta.task) { return undefined; }
    
    return taskMeta;
  }
  let SCOPE_ID = 0;
  
  const HANDLE_TABLES= [];
  
  const CURRENT_TASK_META = {};
  
  function _getGlobalCurrentTaskMeta(componentIdx) {
    const v = componentIdx === undefined || componentIdx === null
    ? CURRENT_TASK_META.current
    : CURRENT_TASK_META[componentIdx];
    if (v === undefined || v === null) {
      return undefined;
    }
    return { ...v };
  }
  
  
  function resourceTransferBorrow(handle, fromTid, toTid) {
    const fromTable = HANDLE_TABLES[fromTid];
    const { rep, own } = rscTableGet(fromTable, handle);
    
    let toTable = HANDLE_TABLES[toTid];
    if (!toTable) {
      HANDLE_TABLES[toTid] = [T_FLAG, 0];
      toTable = HANDLE_TABLES[toTid];
      toTable._createdReps = new Set();
    }
    
    const componentIdx = toTable._componentIdx;
    const currentTaskMeta = componentIdx === undefined
    ? undefined
    : _getGlobalCurrentTaskMeta(componentIdx);
    const borrowTask = currentTaskMeta
    ? getCurrentTask(componentIdx, currentTaskMeta.taskID)?.task
    : undefined;
    
    if (borrowTask && own) {
      fromTable[handle << 1]++;
      borrowTask.addResourceLender(fromTable, handle);
    }
    
    if (toTable._createdReps.has(rep)) {
      return rep;
    }
    
    const newHandle = rscTableCreateBorrow(
    toTable,
    rep,
    borrowTask?.resourceScopeId() ?? SCOPE_ID,
    );
    if (borrowTask) {
      borrowTask.addBorrowedHandle();
    } else {
      RESOURCE_CALL_BORROWS.push({ rid: toTid, handle: newHandle });
    }
    return newHandle;
  }
  
  
  function resourceTransferOwn(handle, fromTid, toTid) {
    const { rep } = rscTableRemove(HANDLE_TABLES[fromTid], handle);
    
    let toTable = HANDLE_TABLES[toTid];
    if (!toTable) {
      HANDLE_TABLES[toTid] = [T_FLAG, 0];
      toTable = HANDLE_TABLES[toTid];
      toTable._createdReps = new Set();
    }
    
    const newHandle = rscTableCreateOwn(toTable, rep);
    return newHandle;
  }
  
  const _debugLog = (...args) => {
    if (!globalThis?.process?.env?.JCO_DEBUG) { return; }
    console.debug(...args);
  };
  
  const I32_MAX= 2_147_483_647;
  
  const I32_MIN = -2_147_483_648;
  
  const _typeCheckValidI32 = (n) => typeof n === 'number' && n >= I32_MIN && n <= I32_MAX;
  
  
  function contextSet(ctx, value) {
    const { slot } = ctx;
    if (slot === undefined) { throw new TypeError("missing slot"); }
    if (!(_typeCheckValidI32(value))) { throw new Error('invalid value for context set (not valid i32)'); }
    
    // Guest callbacks use their component's task register. FACT
    // adapters have no component index; post-return also runs
    // after the callee register is cleared. Both use the executing
    // task, whose context FACT temporarily saves and restores.
    const currentTaskMeta = _getGlobalCurrentTaskMeta(ctx.componentIdx)
    ?? _getGlobalCurrentTaskMeta();
    if (!currentTaskMeta) {
      throw new Error(`missing/incomplete global current task meta for component idx [${ctx.componentIdx}] during context set`);
    }
    const { taskID, componentIdx } = currentTaskMeta;
    
    const taskMeta = getCurrentTask(componentIdx, taskID);
    if (!taskMeta) { throw new Error('failed to retrieve current task'); }
    
    let task = taskMeta.task;
    if (!task) { throw new Error('invalid/missing current task in metadata while setting context'); }
    
    if (__fabricJcoDebug) _debugLog('[contextSet()] args', {
      slot,
      value,
      storage: task.storage,
      taskID: task.id(),
      componentIdx: task.componentIdx(),
    });
    
    if (slot < 0 || slot >= task.storage.length) { throw new Error('invalid slot for current task'); }
    task.storage[slot] = value;
  }
  
  
  function contextGet(ctx) {
    const { slot } = ctx;
    if (slot === undefined) { throw new TypeError("missing slot"); }
    
    // Guest callbacks use their component's task register. FACT
    // adapters have no component index; post-return also runs
    // after the callee register is cleared. Both use the executing
    // task, whose context FACT temporarily saves and restores.
    const currentTaskMeta = _getGlobalCurrentTaskMeta(ctx.componentIdx)
    ?? _getGlobalCurrentTaskMeta();
    if (!currentTaskMeta) {
      throw new Error(`missing/incomplete global current task meta for component idx [${ctx.componentIdx}] during context get`);
    }
    const { taskID, componentIdx } = currentTaskMeta;
    
    const taskMeta = getCurrentTask(componentIdx, taskID);
    if (!taskMeta) { throw new Error('failed to retrieve current task'); }
    
    let task = taskMeta.task;
    if (!task) { throw new Error('invalid/missing current task in metadata while getting context'); }
    
    if (__fabricJcoDebug) _debugLog('[contextGet()] args', {
      slot,
      storage: task.storage,
      taskID: task.id(),
      componentIdx: task.componentIdx(),
    });
    
    if (slot < 0 || slot >= task.storage.length) { throw new Error('invalid slot for current task'); }
    
    return task.storage[slot];
  }
  
  const ASYNC_CURRENT_TASK_IDS = [];
  
  function clearCurrentTask(componentIdx, taskID) {
    if (__fabricJcoDebug) _debugLog('[clearCurrentTask()] args', { componentIdx, taskID });
    
    if (componentIdx === undefined || componentIdx === null) {
      throw new Error('missing/invalid component instance index while ending current task');
    }
    
    const tasks = ASYNC_TASKS_BY_COMPONENT_IDX.get(componentIdx);
    if (!tasks || !Array.isArray(tasks)) {
      throw new Error('missing/invalid tasks for component instance while ending task');
    }
    if (tasks.length == 0) {
      throw new Error(`no current tasks for component instance [${componentIdx}] while ending task`);
    }
    
    if (taskID !== undefined) {
      const last = tasks[tasks.length - 1];
      if (last.id !== taskID) {
        // throw new Error('current task does not match expected task ID');
        return;
      }
    }
    
    ASYNC_CURRENT_TASK_IDS.pop();
    ASYNC_CURRENT_COMPONENT_IDXS.pop();
    
    const taskMeta = tasks.pop();
    return taskMeta.task;
  }
  const ASYNC_STATE = new Map();
  
  function promiseWithResolvers() {
    if (Promise.withResolvers) {
      return Promise.withResolvers();
    } else {
      let resolve;
      let reject;
      const promise = new Promise((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    }
  }
  
  class Waitable {
    #componentIdx;
    
    #pendingEventFn = null;
    
    #promise;
    #resolve;
    #reject;
    
    #waitableSet = null;
    
    #hasSyncWaiter = false;
    
    #idx = null; // to component-global waitables
    
    target;
    
    constructor(args) {
      const { componentIdx, target } = args;
      this.#componentIdx = componentIdx;
      this.target = args.target;
      this.#resetPromise();
    }
    
    componentIdx() { return this.#componentIdx; }
    isInSet() { return this.#waitableSet !== null; }
    
    idx() { return this.#idx; }
    setIdx(idx) {
      if (idx === 0) { throw new Error("waitable idx cannot be zero"); }
      this.#idx = idx;
    }
    
    setTarget(tgt) { this.target = tgt; }
    
    #resetPromise() {
      const { promise, resolve, reject } = promiseWithResolvers()
      this.#promise = promise;
      this.#resolve = resolve;
      this.#reject = reject;
    }
    
    resolve() { this.#resolve(); }
    reject(err) { this.#reject(err); }
    promise() { return this.#promise; }
    
    hasPendingEvent() {
      // _debugLog('[Waitable#hasPendingEvent()]', {
        //     componentIdx: this.#componentIdx,
        //     waitable: this,
        //     waitableSet: this.#waitableSet,
        //     hasPendingEvent: this.#pendingEventFn !== null,
        // });
        return this.#pendingEventFn !== null;
      }
      
      setPendingEvent(fn) {
        if (__fabricJcoDebug) _debugLog('[Waitable#setPendingEvent()] args', {
          waitable: this,
          inSet: this.#waitableSet,
        });
        this.#pendingEventFn = fn;
      }
      
      getPendingEvent() {
        if (__fabricJcoDebug) _debugLog('[Waitable#getPendingEvent()] args', {
          waitable: this,
          inSet: this.#waitableSet,
          hasPendingEvent: this.#pendingEventFn !== null,
        });
        if (this.#pendingEventFn === null) { return null; }
        const eventFn = this.#pendingEventFn;
        this.#pendingEventFn = null;
        const e = eventFn();
        this.#resetPromise();
        return e;
      }
      
      join(waitableSet) {
        if (__fabricJcoDebug) _debugLog('[Waitable#join()] args', {
          waitable: this,
          waitableSet: waitableSet,
          isRemoval: waitableSet === null,
        });
        
        if (this.#waitableSet === undefined) {
          throw new TypeError('waitable set must be not be undefined');
        }
        
        if (this.#waitableSet) {
          this.#waitableSet.removeWaitable(this);
        }
        
        this.#waitableSet = waitableSet;
        
        if (waitableSet) {
          this.#waitableSet.addWaitable(this);
        }
      }
      
      drop() {
        if (__fabricJcoDebug) _debugLog('[Waitable#drop()] args', {
          componentIdx: this.#componentIdx,
          waitable: this,
        });
        if (this.hasPendingEvent()) {
          throw new Error('waitables with pending events cannot be dropped');
        }
        this.join(null);
      }
      
      async waitForPendingEvent(args) {
        const { cstate } = args;
        if (!cstate) { throw new TypeError('missing component state'); }
        
        if (this.#waitableSet !== null || this.#hasSyncWaiter) {
          throw new Error("waitable is already in a set/has a sync waiter");
        }
        this.#hasSyncWaiter = true;
        await cstate.waitUntil({
          cancellable: false,
          readyFn: () => this.hasPendingEvent(),
        });
        this.#hasSyncWaiter = false;
      }
      
    }
    const INSTANCE_FLAGS = new Map();
    const STORE_TRAP = { error: null };
    const STORE_ASYNC_STATE = { deadlockCheck: null, pendingHostOperations: 0 };
    
    function _checkForDeadlock() {
      if (STORE_ASYNC_STATE.deadlockCheck !== null || STORE_TRAP.error !== null) { return; }
      STORE_ASYNC_STATE.deadlockCheck = setTimeout(() => {
        STORE_ASYNC_STATE.deadlockCheck = null;
        if (STORE_TRAP.error !== null || STORE_ASYNC_STATE.pendingHostOperations > 0) { return; }
        
        const suspendedTasks = new Set();
        for (const state of ASYNC_STATE.values()) {
          if (state.hasPendingSchedulerWork()) {
            state.runTickLoop();
            return;
          }
          for (const meta of state.suspendedTaskMetas()) {
            suspendedTasks.add(meta.task);
          }
        }
        
        const unresolvedRoots = new Set();
        for (const task of suspendedTasks) {
          const root = task.getRootTask();
          if (!root.isResolvedState()) { unresolvedRoots.add(root); }
        }
        if (unresolvedRoots.size === 0) { return; }
        
        const err = new WebAssemblyRuntimeError('wasm trap: deadlock detected: event loop cannot make further progress');
        // Which tasks were waiting, and on whose behalf. The message stays
        // exactly what the Canonical ABI calls for, so this rides alongside
        // it: a deadlock reported from a real program is otherwise a bare
        // sentence, and the state that produced it is gone by the time
        // anyone reads the failure.
        err.deadlockDetail = {
          pendingHostOperations: STORE_ASYNC_STATE.pendingHostOperations,
          suspendedTasks: [...suspendedTasks].map((task) => ({
            taskID: task.id(),
            componentIdx: task.componentIdx(),
            state: task.taskState(),
            rootTaskID: task.getRootTask().id(),
          })),
          unresolvedRootTaskIDs: [...unresolvedRoots].map((root) => root.id()),
        };
        STORE_TRAP.error = err;
        for (const root of unresolvedRoots) {
          root.setErrored(err);
          root.reject(err);
        }
        for (const task of suspendedTasks) {
          if (!task.isResolvedState() && unresolvedRoots.has(task.getRootTask())) {
            task.setErrored(err);
            task.reject(err);
          }
        }
        for (const state of ASYNC_STATE.values()) { state.runTickLoop(); }
      }, 0);
    }
    
    const CORE_TRAP_MESSAGES = new Map([
    ['unreachable', "wasm trap: wasm `unreachable` instruction executed"],
    ['memory access out of bounds', "wasm trap: out of bounds memory access"],
    ['divide by zero', "wasm trap: integer divide by zero"],
    ['remainder by zero', "wasm trap: integer divide by zero"],
    ['divide result unrepresentable', "wasm trap: integer overflow"],
    ['float unrepresentable in integer range', "wasm trap: invalid conversion to integer"],
    ['table index is out of bounds', "wasm trap: undefined element: out of bounds table access"],
    ['function signature mismatch', "wasm trap: indirect call type mismatch"],
    ['call stack exhausted', "wasm trap: call stack exhausted"],
    ]);
    function _normalizeCoreTrap(err) {
      if (!(err instanceof WebAssemblyRuntimeError)) { return err; }
      const message = CORE_TRAP_MESSAGES.get(err.message);
      if (message !== undefined) { err.message = message; }
      return err;
    }
    
    class RepTable {
      // Sentinel marking a freed slot; the freelist link for a freed slot
      // lives in the odd cell. This keeps get()/contains()/remove() on freed
      // reps well-defined (previously they returned/corrupted freelist links).
      static FREE = Symbol('RepTable.free');
      
      #data = [0, null];
      #size = 0;
      #target;
      
      constructor(args) {
        this.target = args?.target;
      }
      
      data() { return this.#data; }
      
      insert(val) {
        if (__fabricJcoDebug) _debugLog('[RepTable#insert()] args', { val, target: this.target });
        const freeIdx = this.#data[0];
        if (freeIdx === 0) {
          this.#data.push(val);
          this.#data.push(null);
          const rep = (this.#data.length >> 1) - 1;
          if (__fabricJcoDebug) _debugLog('[RepTable#insert()] inserted', { val, target: this.target, rep });
          this.#size += 1;
          return rep;
        }
        const placementIdx = freeIdx << 1;
        if (this.#data[placementIdx] !== RepTable.FREE) {
          throw new Error('corrupt rep table freelist: head does not point at a freed slot');
        }
        this.#data[0] = this.#data[placementIdx + 1];
        this.#data[placementIdx] = val;
        this.#data[placementIdx + 1] = null;
        if (__fabricJcoDebug) _debugLog('[RepTable#insert()] inserted', { val, target: this.target, rep: freeIdx });
        this.#size += 1;
        return freeIdx;
      }
      
      get(rep) {
        if (__fabricJcoDebug) _debugLog('[RepTable#get()] args', { rep, target: this.target });
        if (rep === 0) { throw new Error('invalid resource rep during get, (cannot be 0)'); }
        
        const baseIdx = rep << 1;
        const val = this.#data[baseIdx];
        if (val === RepTable.FREE) { return undefined; }
        return val;
      }
      
      contains(rep) {
        if (__fabricJcoDebug) _debugLog('[RepTable#contains()] args', { rep, target: this.target });
        if (rep === 0) { throw new Error('invalid resource rep during contains, (cannot be 0)'); }
        
        const baseIdx = rep << 1;
        const val = this.#data[baseIdx];
        return val !== RepTable.FREE && !!val;
      }
      
      remove(rep) {
        if (__fabricJcoDebug) _debugLog('[RepTable#remove()] args', { rep, target: this.target });
        if (rep === 0) { throw new Error('invalid resource rep during remove, (cannot be 0)'); }
        if (this.#data.length === 2) { throw new Error('invalid'); }
        
        const baseIdx = rep << 1;
        if (baseIdx >= this.#data.length) {
          throw new Error(`invalid rep [${rep}] during remove, out of range`);
        }
        const val = this.#data[baseIdx];
        if (val === RepTable.FREE) {
          throw new Error(`double removal of rep [${rep}] (already freed)`);
        }
        
        this.#data[baseIdx] = RepTable.FREE;
        this.#data[baseIdx + 1] = this.#data[0];
        this.#data[0] = rep;
        this.#size -= 1;
        
        return val;
      }
      
      size() { return this.#size; }
      
      clear() {
        if (__fabricJcoDebug) _debugLog('[RepTable#clear()] args', { rep, target: this.target });
        this.#data = [0, null];
      }
    }
    
    class ComponentAsyncState {
      static EVENT_HANDLER_EVENTS = [ 'backpressure-change' ];
      
      static TickResult = {
        // no suspended tasks remain
        DONE: 'done',
        // a suspended task was resumed (more may be ready)
        RESUMED: 'resumed',
        // suspended tasks remain but none were ready
        IDLE: 'idle',
      };
      
      #componentIdx;
      #callingAsyncImport = false;
      #syncImportWait = promiseWithResolvers();
      #lockHolderTaskID = null;
      #lockWaiters = [];
      #lockHandoffScheduled = false;
      #pendingTaskStarts = 0;
      #parkedTasks = new Map();
      #suspendedTasksByTaskID = new Map();
      #suspendedTaskIDs = [];
      #errored = null;
      #trapped = false;
      #backpressure = 0;
      #backpressureWaiters = 0n;
      
      #handlerMap = new Map();
      #nextHandlerID = 0n;
      
      #tickLoop = null;
      #tickLoopInterval = null;
      
      #onExclusiveReleaseHandlers = [];
      
      #mayLeave = true;
      
      handles;
      subtasks;
      
      constructor(args) {
        this.#componentIdx = args.componentIdx;
        this.handles = new RepTable({ target: `component [${this.#componentIdx}] handles (waitable objects)` });
        this.subtasks = new RepTable({ target: `component [${this.#componentIdx}] subtasks` });
      };
      
      componentIdx() { return this.#componentIdx; }
      
      get mayLeave() {
        const flags = INSTANCE_FLAGS.get(this.#componentIdx);
        return flags === undefined ? this.#mayLeave : flags.value === 1;
      }
      set mayLeave(value) {
        if (typeof value !== 'boolean') { throw new TypeError('mayLeave must be a boolean'); }
        this.#mayLeave = value;
        const flags = INSTANCE_FLAGS.get(this.#componentIdx);
        if (flags !== undefined) { flags.value = value ? 1 : 0; }
      }
      
      errored() { return this.#errored !== null; }
      setErrored(err) {
        if (__fabricJcoDebug) _debugLog('[ComponentAsyncState#setErrored()] component errored', { err, componentIdx: this.#componentIdx });
        if (this.#errored) { return; }
        if (!err) {
          err = new Error('error elswehere (see other component instance error)')
          err.componentIdx = this.#componentIdx;
        }
        this.#errored = err;
      }
      
      markTrapped(err) {
        if (!(err instanceof WebAssemblyRuntimeError)) {
          return false;
        }
        err = _normalizeCoreTrap(err);
        this.#trapped = true;
        if (__fabricJcoDebug) _debugLog('[ComponentAsyncState#markTrapped()] component trapped', { err, componentIdx: this.#componentIdx });
        if (STORE_TRAP.error === null) { STORE_TRAP.error = err; }
        return true;
      }
      
      throwIfTrapped() {
        if (this.#trapped) {
          throw new WebAssemblyRuntimeError("wasm trap: cannot enter component instance");
        }
      }
      
      callingSyncImport(val) {
        if (val === undefined) { return this.#callingAsyncImport; }
        if (typeof val !== 'boolean') { throw new TypeError('invalid setting for async import'); }
        const prev = this.#callingAsyncImport;
        this.#callingAsyncImport = val;
        if (prev === true && this.#callingAsyncImport === false) {
          this.#notifySyncImportEnd();
        }
      }
      
      #notifySyncImportEnd() {
        const existing = this.#syncImportWait;
        this.#syncImportWait = promiseWithResolvers();
        existing.resolve();
      }
      
      async waitForSyncImportCallEnd() {
        await this.#syncImportWait.promise;
      }
      
      setBackpressure(v) {
        this.#backpressure = v;
        return this.#backpressure
      }
      getBackpressure() { return this.#backpressure; }
      
      incrementBackpressure() {
        const current = this.#backpressure;
        if (current < 0 || current > 2**16) {
          throw new Error(`invalid current backpressure value [${current}]`);
        }
        const newValue = this.getBackpressure() + 1;
        if (newValue >= 2**16) {
          throw new Error(`invalid new backpressure value [${newValue}], overflow`);
        }
        return this.setBackpressure(newValue);
      }
      
      decrementBackpressure() {
        const current = this.#backpressure;
        if (current < 0 || current > 2**16) {
          throw new Error(`invalid current backpressure value [${current}]`);
        }
        const newValue = Math.max(0, current - 1);
        if (newValue < 0) {
          throw new Error(`invalid new backpressure value [${newValue}], underflow`);
        }
        return this.setBackpressure(newValue);
      }
      hasBackpressure() { return this.#backpressure > 0; }
      
      waitForBackpressure() {
        let backpressureCleared = false;
        const cstate = this;
        cstate.addBackpressureWaiter();
        const handlerID = this.registerHandler({
          event: 'backpressure-change',
          fn: (bp) => {
            if (bp === 0) {
              cstate.removeHandler(handlerID);
              backpressureCleared = true;
            }
          }
        });
        return new Promise((resolve) => {
          const interval = setInterval(() => {
            if (backpressureCleared) { return; }
            clearInterval(interval);
            cstate.removeBackpressureWaiter();
            resolve(null);
          }, 0);
        });
      }
      
      registerHandler(args) {
        const { event, fn } = args;
        if (!event) { throw new Error("missing handler event"); }
        if (!fn) { throw new Error("missing handler fn"); }
        
        if (!ComponentAsyncState.EVENT_HANDLER_EVENTS.includes(event)) {
          throw new Error(`unrecognized event handler [${event}]`);
        }
        
        const handlerID = this.#nextHandlerID++;
        let handlers = this.#handlerMap.get(event);
        if (!handlers) {
          handlers = [];
          this.#handlerMap.set(event, handlers)
        }
        
        handlers.push({ id: handlerID, fn, event });
        return handlerID;
      }
      
      removeHandler(args) {
        const { event, handlerID } = args;
        const registeredHandlers = this.#handlerMap.get(event);
        if (!registeredHandlers) { return; }
        const found = registeredHandlers.find(h => h.id === handlerID);
        if (!found) { return; }
        this.#handlerMap.set(event, this.#handlerMap.get(event).filter(h => h.id !== handlerID));
      }
      
      getBackpressureWaiters() { return this.#backpressureWaiters; }
      addBackpressureWaiter() { this.#backpressureWaiters++; }
      removeBackpressureWaiter() {
        this.#backpressureWaiters--;
        if (this.#backpressureWaiters < 0) {
          throw new Error("unexepctedly negative number of backpressure waiters");
        }
      }
      
      // The per-slice mutual-exclusion lock for guest execution in this
      // component instance. Guest slices (callback invocations and
      // sync-lifted bodies) must be atomic per component even across the
      // JSPI suspensions jco introduces for host imports: wit-bindgen's
      // executors publish per-task state in single linear-memory cells
      // (the wasip3-task pointer, context-local storage discipline) that
      // an interleaved slice of the same component corrupts
      //
      // The lock is *owned*: acquisition records the holder task and
      // release is a no-op for anyone else, so a task exiting can no
      // longer drop a hold it does not own (blind acquire/release-any
      // was the previous discipline). Contended acquisition queues
      // FIFO; release hands the lock to the next waiter directly.
      isExclusivelyLocked() { return this.#lockHolderTaskID !== null; }
      exclusivelyLockedBy(taskID) { return this.#lockHolderTaskID === taskID; }
      
      exclusiveLock(taskID) {
        if (__fabricJcoDebug) _debugLog('[ComponentAsyncState#exclusiveLock()]', {
          holder: this.#lockHolderTaskID,
          requester: taskID,
          componentIdx: this.#componentIdx,
        });
        if (taskID === undefined || taskID === null) {
          throw new Error('exclusive lock requires the acquiring task id');
        }
        if (this.#lockHolderTaskID !== null) {
          throw new Error(`component [${this.#componentIdx}] exclusive lock held by task [${this.#lockHolderTaskID}], requested by [${taskID}]`);
        }
        this.#lockHolderTaskID = taskID;
      }
      
      // Awaitable acquisition: takes the lock immediately when free,
      // otherwise queues FIFO behind the current holder and earlier
      // waiters. The resolved promise implies ownership.
      acquireExclusiveLock(taskID) {
        if (taskID === undefined || taskID === null) {
          throw new Error('exclusive lock requires the acquiring task id');
        }
        if (this.#lockHolderTaskID === null) {
          this.#lockHolderTaskID = taskID;
          if (__fabricJcoDebug) _debugLog('[ComponentAsyncState#acquireExclusiveLock()] acquired', {
            holder: taskID,
            componentIdx: this.#componentIdx,
          });
          return;
        }
        if (this.#lockHolderTaskID === taskID) {
          throw new Error(`task [${taskID}] already holds the lock for component [${this.#componentIdx}]`);
        }
        if (__fabricJcoDebug) _debugLog('[ComponentAsyncState#acquireExclusiveLock()] waiting', {
          holder: this.#lockHolderTaskID,
          requester: taskID,
          componentIdx: this.#componentIdx,
          queued: this.#lockWaiters.length,
        });
        return new Promise((resolve) => {
          this.#lockWaiters.push({ taskID, resolve });
        });
      }
      
      exclusiveRelease(taskID) {
        if (__fabricJcoDebug) _debugLog('[ComponentAsyncState#exclusiveRelease()] args', {
          holder: this.#lockHolderTaskID,
          releaser: taskID,
          componentIdx: this.#componentIdx,
        });
        if (this.#lockHolderTaskID !== taskID) {
          // Ownerless releases were the historical behavior; a foreign
          // release now leaves the hold intact
          if (__fabricJcoDebug) _debugLog('[ComponentAsyncState#exclusiveRelease()] ignoring foreign release', {
            holder: this.#lockHolderTaskID,
            releaser: taskID,
            componentIdx: this.#componentIdx,
          });
          return false;
        }
        
        // Make the release observable before handing the lock to the next
        // asynchronous guest slice.
        //
        // Release handlers may expose a lifted value whose consumer immediately
        // performs a synchronous call on the same component; that call must run
        // while the instance is genuinely unlocked, not via enterSync's
        // lock-free fallback code.
        this.#lockHolderTaskID = null;
        
        this.#onExclusiveReleaseHandlers = this.#onExclusiveReleaseHandlers.filter(v => !!v);
        for (const [idx, f] of this.#onExclusiveReleaseHandlers.entries()) {
          try {
            this.#onExclusiveReleaseHandlers[idx] = null;
            f();
          } catch (err) {
            if (__fabricJcoDebug) _debugLog("error while executing handler for next exclusive release", err);
            throw err;
          }
        }
        this.#scheduleLockHandoff();
        return true;
      }
      
      #scheduleLockHandoff() {
        if (this.#lockHandoffScheduled || this.#lockWaiters.length === 0) { return; }
        this.#lockHandoffScheduled = true;
        queueMicrotask(() => {
          this.#lockHandoffScheduled = false;
          // A synchronous call triggered by a release handler gets the
          // first opportunity to use the unlocked component.
          //
          // Its release will leave this queued handoff in place.
          if (this.#lockHolderTaskID !== null) {
            this.#scheduleLockHandoff();
            return;
          }
          const next = this.#lockWaiters.shift();
          if (!next) { return; }
          this.#lockHolderTaskID = next.taskID;
          next.resolve();
        });
      }
      
      onNextExclusiveRelease(fn) {
        if (__fabricJcoDebug) _debugLog('[ComponentAsyncState#()onNextExclusiveRelease] registering');
        this.#onExclusiveReleaseHandlers.push(fn);
      }
      
      async waitForExclusiveRelease() {
        while (this.isExclusivelyLocked()) {
          await new Promise(resolve => this.onNextExclusiveRelease(resolve));
        }
      }
      
      #getSuspendedTaskMeta(taskID) {
        return this.#suspendedTasksByTaskID.get(taskID);
      }
      
      #removeSuspendedTaskMeta(taskID) {
        if (__fabricJcoDebug) _debugLog('[ComponentAsyncState#removeSuspendedTaskMeta()] removing suspended task', {
          taskID,
          componentIdx: this.#componentIdx,
        });
        const idx = this.#suspendedTaskIDs.findIndex(t => t === taskID);
        const meta = this.#suspendedTasksByTaskID.get(taskID);
        this.#suspendedTaskIDs[idx] = null;
        this.#suspendedTasksByTaskID.delete(taskID);
        return meta;
      }
      
      #addSuspendedTaskMeta(meta) {
        if (!meta) { throw new Error('missing task meta'); }
        const taskID = meta.taskID;
        this.#suspendedTasksByTaskID.set(taskID, meta);
        this.#suspendedTaskIDs.push(taskID);
        if (this.#suspendedTasksByTaskID.size < this.#suspendedTaskIDs.length - 10) {
          this.#suspendedTaskIDs = this.#suspendedTaskIDs.filter(t => t !== null);
        }
      }
      
      // TODO(threads): readyFn is normally on the thread
      suspendTask(args) {
        const { task, readyFn, cancellable, onResume } = args;
        const taskID = task.id();
        const componentIdx = task.componentIdx();
        if (__fabricJcoDebug) _debugLog('[ComponentAsyncState#suspendTask()]', {
          taskID,
          componentIdx: this.#componentIdx,
          taskEntryFnName: task.entryFnName(),
          subtask: task.getParentSubtask(),
        });
        
        if (componentIdx !== this.#componentIdx) {
          throw new Error('assert: task component idx should match async state');
        }
        
        if (this.#getSuspendedTaskMeta(taskID)) {
          throw new Error(`task [${taskID}] already suspended`);
        }
        
        let promise;
        let resume;
        if (onResume) {
          resume = () => onResume(!task.isCancelled());
        } else {
          const resolvers = promiseWithResolvers();
          promise = resolvers.promise;
          resume = () => resolvers.resolve(!task.isCancelled());
        }
        this.#addSuspendedTaskMeta({
          task,
          taskID,
          cancellable,
          readyFn,
          resume: () => {
            if (__fabricJcoDebug) _debugLog('[ComponentAsyncState] resuming suspended task', {
              taskID,
              componentIdx: this.#componentIdx,
            });
            // TODO(threads): it's thread cancellation we should be checking for below, not task
            resume();
          },
        });
        
        // A caller synchronously driving one task quantum (for
        // example, subtask.cancel) waits for the resumed task to
        // either resolve or suspend again.
        task.notifyProgress();
        
        this.runTickLoop();
        _checkForDeadlock();
        
        return promise;
      }
      
      resumeTaskByID(taskID) {
        const meta = this.#removeSuspendedTaskMeta(taskID);
        if (!meta) { return false; }
        if (meta.taskID !== taskID) { throw new Error('task ID does not match'); }
        meta.resume();
        return true;
      }
      
      suspendedTaskReady(taskID) {
        const meta = this.#getSuspendedTaskMeta(taskID);
        if (!meta) { return false; }
        if (!meta.readyFn) {
          throw new Error(`suspended task [${taskID}] is missing a readiness function`);
        }
        return meta.task.isRejected() || meta.readyFn();
      }
      
      suspendedTaskCancellable(taskID) {
        return !!this.#getSuspendedTaskMeta(taskID)?.cancellable;
      }
      
      isTaskSuspended(taskID) {
        return this.#suspendedTasksByTaskID.has(taskID);
      }
      
      suspendedTaskMetas() {
        return this.#suspendedTasksByTaskID.values();
      }
      
      addPendingTaskStart() { this.#pendingTaskStarts++; }
      removePendingTaskStart() { this.#pendingTaskStarts--; }
      
      hasPendingSchedulerWork() {
        if (this.#pendingTaskStarts > 0) { return true; }
        if (this.#lockHandoffScheduled) { return true; }
        for (const meta of this.#suspendedTasksByTaskID.values()) {
          if (meta.task.isRejected() || meta.readyFn()) { return true; }
        }
        return false;
      }
      
      async runTickLoop() {
        if (this.#tickLoop !== null) { return; }
        this.#tickLoop = 1;
        setTimeout(async () => {
          let result = this.tick();
          while (result !== ComponentAsyncState.TickResult.DONE) {
            if (result === ComponentAsyncState.TickResult.IDLE) {
              _checkForDeadlock();
            }
            // After resuming a task, re-tick as soon as the resumed
            // slice's microtask continuations have drained (timeout 0)
            // so queued sibling resumptions aren't charged the idle
            // polling interval; otherwise poll at the idle cadence.
            const delay = result === ComponentAsyncState.TickResult.RESUMED ? 0 : 10;
            await new Promise((resolve) => setTimeout(resolve, delay));
            result = this.tick();
          }
          this.#tickLoop = null;
        }, 10);
      }
      
      tick() {
        // _debugLog('[ComponentAsyncState#tick()]', { suspendedTaskIDs: this.#suspendedTaskIDs });
        
        const resumableTasks = this.#suspendedTaskIDs.filter(t => t !== null);
        for (const taskID of resumableTasks) {
          const meta = this.#suspendedTasksByTaskID.get(taskID);
          if (!meta || !meta.readyFn) {
            throw new Error(`missing/invalid task despite ID [${taskID}] being present`);
          }
          
          // If the task failed via any means, allow the task to resume because
          // it's been cancelled -- the callback should immediately exit as well
          if (meta.task.isRejected()) {
            if (__fabricJcoDebug) _debugLog('[ComponentAsyncState#tick()] detected task rejection, leaving early', { meta });
            this.resumeTaskByID(taskID);
            return ComponentAsyncState.TickResult.RESUMED;
          }
          
          const isReady = meta.readyFn();
          if (!isReady) { continue; }
          
          if (__fabricJcoDebug) _debugLog('[ComponentAsyncState#tick()] resuming task via tick', {
            taskID,
            componentIdx: this.#componentIdx,
          });
          this.resumeTaskByID(taskID);
          
          // NOTE: during single-flight resumption, we should resume at most one task per
          // tick so that the resumed slice (a microtask continuation)
          // runs -- and its current-task register window opens and
          // closes -- before any sibling task of this component is
          // resumed.
          //
          // Resuming multiple suspended tasks in one synchronous
          // cascade interleaves their register save/restore windows
          // ([restoreA, restoreB, resumeA, resumeB]), re-entering wasm
          // with the register naming the wrong task, and the
          // 'known residual' of the JSPI current-task register
          // fix); with concurrent task lifetimes per component this
          // corrupts guest context-local storage.
          return ComponentAsyncState.TickResult.RESUMED;
        }
        
        const idle = this.#suspendedTaskIDs.filter(t => t !== null).length > 0;
        return idle
        ? ComponentAsyncState.TickResult.IDLE
        : ComponentAsyncState.TickResult.DONE;
      }
      
      createWaitable(args) {
        return new Waitable({ target: args?.target, });
      }
    }
    
    function getOrCreateAsyncState(componentIdx, init) {
      if (!ASYNC_STATE.has(componentIdx)) {
        const newState = new ComponentAsyncState({ componentIdx });
        ASYNC_STATE.set(componentIdx, newState);
      }
      return ASYNC_STATE.get(componentIdx);
    }
    const GLOBAL_COMPONENT_MEMORY_MAP = new Map();
    
    function lookupMemoriesForComponent(args) {
      const { componentIdx } = args ?? {};
      if (args.componentIdx === undefined) { throw new TypeError("missing component idx"); }
      
      const metas = GLOBAL_COMPONENT_MEMORY_MAP.get(componentIdx);
      if (!metas) { return []; }
      
      if (args.memoryIdx === undefined) {
        return Object.values(metas);
      }
      
      const meta = metas[args.memoryIdx];
      return meta?.memory;
    }
    
    class AsyncSubtask {
      static _ID = 0n;
      
      static State = {
        STARTING: 0,
        STARTED: 1,
        RETURNED: 2,
        CANCELLED_BEFORE_STARTED: 3,
        CANCELLED_BEFORE_RETURNED: 4,
      };
      
      #id;
      #state = AsyncSubtask.State.STARTING;
      #componentIdx;
      
      #parentTask;
      #childTask = null;
      
      #dropped = false;
      #cancelRequested = false;
      
      #memoryIdx = null;
      #lenders = null;
      
      #waitable = null;
      
      #callbackFn = null;
      #callbackFnName = null;
      
      #postReturnFn = null;
      #onProgressFn = null;
      #pendingEventFn = null;
      
      #callMetadata = {};
      
      #resolved = false;
      
      #onResolveHandlers = [];
      #onStartHandlers = [];
      
      #result = null;
      #resultSet = false;
      
      fnName;
      target;
      isAsync;
      isManualAsync;
      // One execution slice awaited by the conditional cancel trampoline.
      cancelProgress = null;
      
      constructor(args) {
        if (typeof args.componentIdx !== 'number') {
          throw new Error('invalid componentIdx for subtask creation');
        }
        this.#componentIdx = args.componentIdx;
        
        this.#id = ++AsyncSubtask._ID;
        this.fnName = args.fnName;
        
        if (!args.parentTask) { throw new Error('missing parent task during subtask creation'); }
        this.#parentTask = args.parentTask;
        
        if (args.childTask) { this.#childTask = args.childTask; }
        
        if (args.memoryIdx) { this.#memoryIdx = args.memoryIdx; }
        
        if (!args.waitable) { throw new Error("missing/invalid waitable"); }
        this.#waitable = args.waitable;
        
        if (args.callMetadata) { this.#callMetadata = args.callMetadata; }
        
        this.#lenders = [];
        this.target = args.target;
        this.isAsync = args.isAsync;
        this.isManualAsync = args.isManualAsync;
      }
      
      id() { return this.#id; }
      parentTaskID() { return this.#parentTask?.id(); }
      childTaskID() { return this.#childTask?.id(); }
      state() { return this.#state; }
      
      waitable() { return this.#waitable; }
      waitableRep() { return this.#waitable.idx(); }
      
      join() { return this.#waitable.join(...arguments); }
      getPendingEvent() { return this.#waitable.getPendingEvent(...arguments); }
      hasPendingEvent() { return this.#waitable.hasPendingEvent(...arguments); }
      setPendingEvent() { return this.#waitable.setPendingEvent(...arguments); }
      
      setTarget(tgt) { this.target = tgt; }
      
      getResult() {
        if (!this.#resultSet) { throw new Error("subtask result has not been set") }
        return this.#result;
      }
      setResult(v) {
        if (this.#resultSet) { throw new Error("subtask result has already been set"); }
        this.#result = v;
        this.#resultSet = true;
      }
      
      componentIdx() { return this.#componentIdx; }
      
      setChildTask(t) {
        if (!t) { throw new Error('cannot set missing/invalid child task on subtask'); }
        if (this.#childTask) { throw new Error('child task is already set on subtask'); }
        if (this.#parentTask === t) { throw new Error("parent cannot be child"); }
        this.#childTask = t;
      }
      getChildTask(t) { return this.#childTask; }
      
      getParentTask() { return this.#parentTask; }
      
      setCallbackFn(f, name) {
        if (!f) { return; }
        if (this.#callbackFn) { throw new Error('callback fn can only be set once'); }
        this.#callbackFn = f;
        this.#callbackFnName = name;
      }
      
      getCallbackFnName() {
        if (!this.#callbackFn) { return undefined; }
        return this.#callbackFn.name;
      }
      
      setPostReturnFn(f) {
        if (!f) { return; }
        if (this.#postReturnFn) { throw new Error('postReturn fn can only be set once'); }
        this.#postReturnFn = f;
      }
      
      setOnProgressFn(f) {
        if (this.#onProgressFn) { throw new Error('on progress fn can only be set once'); }
        this.#onProgressFn = f;
      }
      
      isNotStarted() {
        return this.#state == AsyncSubtask.State.STARTING;
      }
      
      cancellationRequested() { return this.#cancelRequested; }
      
      // Request cooperative cancellation of this subtask, on behalf of the
      // supertask (i.e. `canon subtask.cancel`).
      //
      // If the callee is another guest task, the request is delivered to it and
      // the callee confirms via `task.cancel` (or still resolves via `task.return`).
      //
      // If the callee is a host function there is (currently) no host-side
      // cancellation hook, so the pending call is treated as immediately
      // cancelled -- consistent with hosts being expected to resolve
      // cancellation promptly -- and any later host resolution is discarded
      // (see `AsyncTask#onResolve`).
      requestCancellation() {
        if (__fabricJcoDebug) _debugLog('[AsyncSubtask#requestCancellation()] args', {
          componentIdx: this.#componentIdx,
          subtaskID: this.#id,
          state: this.#state,
          childTaskID: this.childTaskID(),
          fnName: this.fnName,
        });
        if (this.#cancelRequested) {
          throw new Error('cancellation has already been requested for this subtask');
        }
        this.#cancelRequested = true;
        
        if (this.#resolved) { return; }
        
        if (this.#childTask) {
          this.#childTask.requestCancellation();
          return;
        }
        
        this.onResolve(null);
      }
      
      registerOnStartHandler(f) {
        this.#onStartHandlers.push(f);
      }
      
      onStart(args) {
        if (__fabricJcoDebug) _debugLog('[AsyncSubtask#onStart()] args', {
          componentIdx: this.#componentIdx,
          subtaskID: this.#id,
          parentTaskID: this.parentTaskID(),
          fnName: this.fnName,
          args,
        });
        
        if (this.#onProgressFn) { this.#onProgressFn(); }
        
        // Starting a nested operation is a task execution boundary.
        // In particular, a cancellation handler may synchronously
        // enter an import which then suspends in the host.  Wake a
        // supertask that is driving one cancellation slice so an
        // async `subtask.cancel` can report BLOCKED without waiting
        // for that nested operation to finish.
        this.#parentTask.notifyProgress();
        
        this.#state = AsyncSubtask.State.STARTED;
        
        let result;
        
        // If we have been provided a helper start function as a result of
        // component fusion performed by wasmtime tooling, then we can call that helper and lifts/lowers will
        // be performed for us.
        //
        // See also documentation on `HostIntrinsic::PrepareCall`
        //
        if (this.#callMetadata.startFn) {
          result = this.#callMetadata.startFn.apply(null, args?.startFnParams ?? []);
        }
        
        return result;
      }
      
      
      registerOnResolveHandler(f) {
        this.#onResolveHandlers.push(f);
      }
      
      reject(subtaskErr) {
        if (this.#resolved) { return; }
        
        if (this.#onProgressFn) { this.#onProgressFn(); }
        
        if (this.#state === AsyncSubtask.State.STARTING) {
          this.#state = AsyncSubtask.State.CANCELLED_BEFORE_STARTED;
        } else if (this.#state === AsyncSubtask.State.STARTED) {
          this.#state = AsyncSubtask.State.CANCELLED_BEFORE_RETURNED;
        } else {
          throw new Error('cannot reject a completed subtask');
        }
        
        this.#resolved = true;
        this.#parentTask.removeSubtask(this);
        this.#parentTask.reject(subtaskErr);
      }
      
      onResolve(subtaskValue) {
        if (__fabricJcoDebug) _debugLog('[AsyncSubtask#onResolve()] args', {
          componentIdx: this.#componentIdx,
          subtaskID: this.#id,
          isAsync: this.isAsync,
          childTaskID: this.childTaskID(),
          parentTaskID: this.parentTaskID(),
          parentTaskFnName: this.#parentTask?.entryFnName(),
          fnName: this.fnName,
        });
        
        if (this.#resolved) {
          throw new Error('subtask has already been resolved');
        }
        
        if (this.#onProgressFn) { this.#onProgressFn(); }
        
        if (subtaskValue === null && this.#cancelRequested) {
          if (this.#state === AsyncSubtask.State.STARTING) {
            this.#state = AsyncSubtask.State.CANCELLED_BEFORE_STARTED;
          } else {
            if (this.#state !== AsyncSubtask.State.STARTED) {
              throw new Error('resolved subtask must have been started before cancellation');
            }
            this.#state = AsyncSubtask.State.CANCELLED_BEFORE_RETURNED;
          }
        } else {
          if (this.#state !== AsyncSubtask.State.STARTED) {
            throw new Error('resolved subtask must have been started before completion');
          }
          this.#state = AsyncSubtask.State.RETURNED;
        }
        
        this.setResult(subtaskValue);
        
        for (const f of this.#onResolveHandlers) {
          try {
            f(subtaskValue);
          } catch (err) {
            console.error("error during subtask resolve handler", err);
            throw err;
          }
        }
        
        const callMetadata = this.getCallMetadata();
        
        // TODO(fix): we should be able to easily have the caller's meomry
        // to lower into here, but it's not present in PrepareCall
        const memory = callMetadata.memory ?? this.#parentTask?.getReturnMemory() ?? lookupMemoriesForComponent({ componentIdx: this.#parentTask?.componentIdx() })[0];
        // NOTE: cancelled resolutions carry no value, so nothing is lowered
        const returned = this.#state === AsyncSubtask.State.RETURNED;
        if (returned && callMetadata && !callMetadata.returnFn && (this.isAsync || callMetadata.funcTypeIsAsync) && callMetadata.resultPtr && memory) {
          const { resultPtr, realloc } = callMetadata;
          const lowers = callMetadata.lowers; // may have been updated in task.return of the child
          if (lowers && lowers.length > 0) {
            lowers[0]({
              componentIdx: this.#componentIdx,
              memory,
              realloc,
              vals: [subtaskValue],
              storagePtr: resultPtr,
              stringEncoding: callMetadata.stringEncoding,
            });
          }
        }
        
        this.#resolved = true;
        this.#parentTask.removeSubtask(this);
        
        if (!this.isAsync) {
          this.deliverResolve();
          const rep = this.waitableRep();
          if (rep) {
            try {
              const removed = this.#getComponentState().handles.remove(rep);
              if (removed !== this) {
                throw new Error("unexpectedly received non-self Subtask from handle removal");
              }
              this.drop();
            } catch (err) {
              if (__fabricJcoDebug) _debugLog('[AsyncSubtask#onResolve()] failed to remove subtask after sync subtask completion', err);
            }
          }
        }
      }
      
      getStateNumber() { return this.#state; }
      isReturned() { return this.#state === AsyncSubtask.State.RETURNED; }
      
      getCallMetadata() { return this.#callMetadata; }
      
      isResolved() {
        if (this.#state === AsyncSubtask.State.STARTING
        || this.#state === AsyncSubtask.State.STARTED) {
          return false;
        }
        if (this.#state === AsyncSubtask.State.RETURNED
        || this.#state === AsyncSubtask.State.CANCELLED_BEFORE_STARTED
        || this.#state === AsyncSubtask.State.CANCELLED_BEFORE_RETURNED) {
          return true;
        }
        throw new Error('unrecognized internal Subtask state [' + this.#state + ']');
      }
      
      addLender(handle) {
        if (__fabricJcoDebug) _debugLog('[AsyncSubtask#addLender()] args', { handle });
        if (!Number.isNumber(handle)) { throw new Error('missing/invalid lender handle [' + handle + ']'); }
        
        if (this.#lenders.length === 0 || this.isResolved()) {
          throw new Error('subtask has no lendors or has already been resolved');
        }
        
        handle.lends++;
        this.#lenders.push(handle);
      }
      
      deliverResolve() {
        if (__fabricJcoDebug) _debugLog('[AsyncSubtask#deliverResolve()] args', {
          lenders: this.#lenders,
          parentTaskID: this.parentTaskID(),
          subtaskID: this.#id,
          childTaskID: this.childTaskID(),
          resolved: this.isResolved(),
          resolveDelivered: this.resolveDelivered(),
        });
        
        const cannotDeliverResolve = this.resolveDelivered() || !this.isResolved();
        if (cannotDeliverResolve) {
          throw new Error('subtask cannot deliver resolution twice, and the subtask must be resolved');
        }
        
        for (const lender of this.#lenders) {
          lender.lends--;
        }
        
        this.#lenders = null;
      }
      
      resolveDelivered() {
        if (__fabricJcoDebug) _debugLog('[AsyncSubtask#resolveDelivered()] args', { });
        if (this.#lenders === null && !this.isResolved()) {
          throw new Error('invalid subtask state, lenders missing and subtask has not been resolved');
        }
        return this.#lenders === null;
      }
      
      drop() {
        if (__fabricJcoDebug) _debugLog('[AsyncSubtask#drop()] args', {
          componentIdx: this.#componentIdx,
          parentTaskID: this.#parentTask?.id(),
          parentTaskFnName: this.#parentTask?.entryFnName(),
          childTaskID: this.#childTask?.id(),
          childTaskFnName: this.#childTask?.entryFnName(),
          subtaskFnName: this.fnName,
        });
        if (!this.#waitable) { throw new Error('missing/invalid inner waitable'); }
        if (!this.resolveDelivered()) {
          throw new Error('cannot drop a subtask which has not yet resolved');
        }
        if (this.#waitable) { this.#waitable.drop() }
        this.#dropped = true;
      }
      
      #getComponentState() {
        const state = getOrCreateAsyncState(this.#componentIdx);
        if (!state) {
          throw new Error('invalid/missing async state for component [' + componentIdx + ']');
        }
        return state;
      }
      
      getWaitableHandleIdx() {
        if (__fabricJcoDebug) _debugLog('[AsyncSubtask#getWaitableHandleIdx()] args', { });
        if (!this.#waitable) { throw new Error('missing/invalid waitable'); }
        return this.waitableRep();
      }
    }
    
    class FutureValue {
      #start;
      #settled;
      #hideThen = 0;
      #thenFn;
      
      constructor(start) {
        if (typeof start !== 'function') {
          throw new TypeError('future start operation must be a function');
        }
        this.#start = start;
        this.#thenFn = this.#then.bind(this);
      }
      
      get then() {
        return this.#hideThen === 0 ? this.#thenFn : undefined;
      }
      
      #read() {
        if (!this.#settled) {
          // The start operation resolves to a non-thenable box so a
          // future-valued payload cannot be assimilated by this Promise.
          this.#settled = Promise.resolve().then(this.#start);
        }
        return this.#settled;
      }
      
      resolveAsValue(resolve) {
        this.#hideThen++;
        try {
          resolve(this);
        } finally {
          this.#hideThen--;
        }
      }
      
      #deliver(resolve, value) {
        if (value instanceof FutureValue) {
          // Promise resolution reads `then` synchronously. Hide it only
          // for that lookup so resolving this layer yields the inner
          // FutureValue instead of recursively awaiting it.
          value.resolveAsValue(resolve);
          return;
        }
        resolve(value);
      }
      
      #then(resolve, reject) {
        return this.#read().then(
        box => this.#deliver(resolve, box.value),
        reject,
        );
      }
    }
    const ASYNC_DETERMINISM = 'random';
    const _coinFlip = () => { return Math.random() > 0.5; };
    
    const ASYNC_EVENT_CODE = {
      NONE: 0,
      SUBTASK: 1,
      STREAM_READ: 2,
      STREAM_WRITE: 3,
      FUTURE_READ: 4,
      FUTURE_WRITE: 5,
      TASK_CANCELLED: 6,
    };
    
    function _withGlobalCurrentTaskMeta(args) {
      if (__fabricJcoDebug) _debugLog('[_withGlobalCurrentTaskMeta()] args', args);
      if (!args) { throw new TypeError('args missing'); }
      if (args.taskID === undefined) { throw new TypeError('missing task ID'); }
      if (args.componentIdx === undefined) { throw new TypeError('missing component idx'); }
      if (!args.fn) { throw new TypeError('missing fn'); }
      const { taskID, componentIdx, fn } = args;
      const previous = CURRENT_TASK_META[componentIdx] ?? null;
      const previousCurrent = CURRENT_TASK_META.current ?? null;
      
      try {
        CURRENT_TASK_META.current =
        CURRENT_TASK_META[componentIdx] = { taskID, componentIdx };
        return fn();
      } catch (err) {
        if (__fabricJcoDebug) _debugLog("error while executing sync callee/callback", {
          ...args,
          err,
        });
        throw err;
      } finally {
        // Synchronous wrappers can nest without any intervening JS
        // scheduling. Restore the caller rather than clearing it so
        // helper core exports (for example fused return adapters) can
        // temporarily run under a different task of the same component.
        CURRENT_TASK_META[componentIdx] = previous;
        CURRENT_TASK_META.current = previousCurrent;
      }
    }
    
    async function _withGlobalCurrentTaskMetaAsync(args) {
      if (__fabricJcoDebug) _debugLog('[_withGlobalCurrentTaskMetaAsync()] args', args);
      if (!args) { throw new TypeError('args missing'); }
      if (args.taskID === undefined) { throw new TypeError('missing task ID'); }
      if (args.componentIdx === undefined) { throw new TypeError('missing component idx'); }
      if (!args.fn) { throw new TypeError('missing fn'); }
      
      const { taskID, componentIdx, fn } = args;
      
      try {
        CURRENT_TASK_META.current =
        CURRENT_TASK_META[componentIdx] = { taskID, componentIdx };
        return await fn();
      } catch (err) {
        if (__fabricJcoDebug) _debugLog("error while executing async callee/callback", {
          ...args,
          err,
        });
        throw err;
      } finally {
        CURRENT_TASK_META[componentIdx] = null;
        if (CURRENT_TASK_META.current?.taskID === taskID) {
          CURRENT_TASK_META.current = null;
        }
      }
    }
    
    class AsyncTask {
      static _ID = 0n;
      
      static State = {
        INITIAL: 'initial',
        CANCELLED: 'cancelled',
        CANCEL_PENDING: 'cancel-pending',
        CANCEL_DELIVERED: 'cancel-delivered',
        RESOLVED: 'resolved',
      }
      
      static BlockResult = {
        CANCELLED: 'block.cancelled',
        NOT_CANCELLED: 'block.not-cancelled',
      }
      
      #id;
      #componentIdx;
      #state;
      #isAsync;
      #isManualAsync;
      #callingWasmExport = true;
      #lockFreeEntry = false;
      #preserveFutureResult;
      #entryFnName = null;
      
      #onResolveHandlers = [];
      #progressWaiters = [];
      #completionPromise = null;
      #completionValue;
      #completionReady = false;
      #settleCompletionPromise;
      #rejected = false;
      
      #exitPromise = null;
      #onExitHandlers = [];
      
      #memoryIdx = null;
      #memory = null;
      
      #callbackFn = null;
      #callbackFnName = null;
      
      #postReturnFn = null;
      
      #getCalleeParamsFn = null;
      #calleeIsAsync = null;
      
      #stringEncoding = null;
      
      #parentSubtask = null;
      
      #errHandling;
      
      #backpressurePromise;
      #backpressureWaiters = 0n;
      
      #returnLowerFns = null;
      
      #resourceScopeId;
      #resourceBorrowCount = 0;
      #resourceLenders = [];
      #resourceScopeExited = false;
      
      #subtasks = [];
      
      #entered = false;
      #exited = false;
      #errored = null;
      
      cancelled = false;
      cancelRequested = false;
      alwaysTaskReturn = false;
      
      returnCalls =  0;
      storage = [0, 0];
      tmpRetI64HighBits = 0|0;
      
      constructor(opts) {
        this.#id = ++AsyncTask._ID;
        this.#resourceScopeId = ++RESOURCE_SCOPE_ID;
        RESOURCE_SCOPE_TASKS.set(this.#resourceScopeId, this);
        
        if (opts?.componentIdx === undefined) {
          throw new TypeError('missing component id during task creation');
        }
        this.#componentIdx = opts.componentIdx;
        
        this.#state = AsyncTask.State.INITIAL;
        this.#isAsync = opts?.isAsync ?? false;
        this.#isManualAsync = opts?.isManualAsync ?? false;
        this.#preserveFutureResult = opts?.preserveFutureResult ?? false;
        this.#entryFnName = opts.entryFnName;
        // Tasks that execute guest slices (export calls, fused
        // callees) default to true; import-handler tasks pass false
        // explicitly (they run host code nested inside the caller's
        // already-locked slice).
        this.#callingWasmExport = opts?.callingWasmExport !== false;
        
        const {
          promise: completionPromise,
          resolve: resolveCompletionPromise,
          reject: rejectCompletionPromise,
        } = promiseWithResolvers();
        this.#completionPromise = completionPromise;
        // A nested rejection can reach the root task while its Wasm
        // entrypoint is still suspended, before the export wrapper awaits
        // this promise. Mark it handled immediately while preserving the
        // original rejected promise for the eventual caller.
        completionPromise.catch(() => {});
        
        let completionSettled = false;
        const settleCompletionPromise = () => {
          if (completionSettled || !this.#completionReady) { return; }
          completionSettled = true;
          if (this.#errored !== null) {
            rejectCompletionPromise(this.#errored);
          } else if (this.#rejected) {
            rejectCompletionPromise(this.#completionValue);
          } else if (
          this.#preserveFutureResult
          && this.#completionValue instanceof FutureValue
          ) {
            this.#completionValue.resolveAsValue(resolveCompletionPromise);
          } else {
            resolveCompletionPromise(this.#completionValue);
          }
        };
        
        this.#settleCompletionPromise = settleCompletionPromise;
        this.#onResolveHandlers.push((results) => {
          if (this.#parentSubtask !== null) { return; }
          if (!this.#isAsync && !this.#isManualAsync) { return; }
          this.#completionValue = results;
          this.#completionReady = true;
          // Publish after the current guest slice returns, so a trap
          // in that slice can still reject the call. Do not wait for
          // task exit: detached work may require further host calls
          // or consumption of a returned resource's stream.
        });
        
        const {
          promise: exitPromise,
          resolve: resolveExitPromise,
          reject: rejectExitPromise,
        } = promiseWithResolvers();
        this.#exitPromise = exitPromise;
        
        this.#onExitHandlers.push(() => {
          if (this.#parentSubtask === null && (this.#isAsync || this.#isManualAsync)) {
            settleCompletionPromise();
          }
          resolveExitPromise();
        });
        
        if (opts.callbackFn) { this.#callbackFn = opts.callbackFn; }
        if (opts.callbackFnName) { this.#callbackFnName = opts.callbackFnName; }
        
        if (opts.getCalleeParamsFn) { this.#getCalleeParamsFn = opts.getCalleeParamsFn; }
        if (opts.stringEncoding) { this.#stringEncoding = opts.stringEncoding; }
        
        if (opts.parentSubtask) { this.#parentSubtask = opts.parentSubtask; }
        
        
        if (opts.errHandling) { this.#errHandling = opts.errHandling; }
      }
      
      taskState() { return this.#state; }
      id() { return this.#id; }
      componentIdx() { return this.#componentIdx; }
      entryFnName() { return this.#entryFnName; }
      
      resourceScopeId() { return this.#resourceScopeId; }
      
      addBorrowedHandle() {
        if (this.#resourceScopeExited) {
          throw new Error('cannot add a borrow to an exited resource scope');
        }
        this.#resourceBorrowCount++;
      }
      
      removeBorrowedHandle() {
        if (this.#resourceBorrowCount === 0) {
          throw new Error('resource borrow count underflow');
        }
        this.#resourceBorrowCount--;
      }
      
      addResourceLender(table, handle) {
        if (this.#resourceScopeExited) {
          throw new Error('cannot add a lender to an exited resource scope');
        }
        this.#resourceLenders.push({ table, handle });
      }
      
      validateResourceBorrowScope() {
        if (this.#resourceScopeExited) { return; }
        if (this.#resourceBorrowCount !== 0) {
          throw new WebAssemblyRuntimeError('borrow handles still remain at the end of the call');
        }
        for (const { table, handle } of this.#resourceLenders) {
          const idx = handle << 1;
          const lendCount = table[idx];
          if (!Number.isInteger(lendCount) || lendCount <= 0 || lendCount >= 2**30) {
            throw new Error('invalid resource lender state at scope exit');
          }
          table[idx] = lendCount - 1;
        }
        this.#resourceLenders = [];
        this.#resourceScopeExited = true;
        RESOURCE_SCOPE_TASKS.delete(this.#resourceScopeId);
      }
      
      completionPromise() { return this.#completionPromise; }
      settleCompletion() { this.#settleCompletionPromise(); }
      exitPromise() { return this.#exitPromise; }
      
      waitForProgress() {
        const { promise, resolve } = promiseWithResolvers();
        this.#progressWaiters.push(resolve);
        return promise;
      }
      
      notifyProgress() {
        const waiters = this.#progressWaiters;
        this.#progressWaiters = [];
        for (const resolve of waiters) { resolve(); }
      }
      
      isAsync() { return this.#isAsync; }
      isManualAsync() { return this.#isManualAsync; }
      isSync() { return !this.isAsync(); }
      
      getErrHandling() { return this.#errHandling; }
      
      hasCallback() { return this.#callbackFn !== null; }
      
      getReturnMemoryIdx() { return this.#memoryIdx; }
      setReturnMemoryIdx(idx) {
        if (idx === null) { return; }
        this.#memoryIdx = idx;
      }
      
      getReturnMemory() { return this.#memory; }
      setReturnMemory(m) {
        if (m === null) { return; }
        this.#memory = m;
      }
      
      setReturnLowerFns(fns) { this.#returnLowerFns = fns; }
      getReturnLowerFns() { return this.#returnLowerFns; }
      
      setCalleeIsAsync(value) {
        if (typeof value !== 'boolean') { throw new TypeError('callee async state must be a boolean'); }
        this.#calleeIsAsync = value;
      }
      
      setParentSubtask(subtask) {
        if (!subtask || !(subtask instanceof AsyncSubtask)) { return }
        if (this.#parentSubtask) { throw new Error('parent subtask can only be set once'); }
        this.#parentSubtask = subtask;
      }
      
      getParentSubtask() { return this.#parentSubtask; }
      
      // TODO(threads): this is very inefficient, we can pass along a root task,
      // and ideally do not need this once thread support is in place
      getRootTask() {
        let currentSubtask = this.getParentSubtask();
        let task = this;
        while (currentSubtask) {
          task = currentSubtask.getParentTask();
          currentSubtask = task.getParentSubtask();
        }
        return task;
      }
      
      setPostReturnFn(f) {
        if (!f) { return; }
        if (this.#postReturnFn) { throw new Error('postReturn fn can only be set once'); }
        this.#postReturnFn = f;
      }
      
      setCallbackFn(f, name) {
        if (!f) { return; }
        if (this.#callbackFn) { throw new Error('callback fn can only be set once'); }
        this.#callbackFn = f;
        this.#callbackFnName = name;
      }
      
      getCallbackFnName() {
        if (!this.#callbackFnName) { return undefined; }
        return this.#callbackFnName;
      }
      
      runCallbackFn(...args) {
        if (!this.#callbackFn) { throw new Error('no callback function has been set for task'); }
        if (this.#callbackFn._jcoMaySuspend === false) {
          return _withGlobalCurrentTaskMeta({
            taskID: this.#id,
            componentIdx: this.#componentIdx,
            fn: () => this.#callbackFn.apply(null, args),
          });
        }
        return _withGlobalCurrentTaskMetaAsync({
          taskID: this.#id,
          componentIdx: this.#componentIdx,
          fn: () => { return this.#callbackFn.apply(null, args); }
        });
      }
      
      getCalleeParams() {
        if (!this.#getCalleeParamsFn) { throw new Error('missing/invalid getCalleeParamsFn'); }
        return this.#getCalleeParamsFn();
      }
      
      // Legacy manually-async exports are sync-typed in the component
      // but use JSPI precisely so their guest stack may suspend.
      mayBlock() { return this.isAsync() || this.isManualAsync() || this.isResolvedState() }
      
      mayEnter(task) {
        const cstate = getOrCreateAsyncState(this.#componentIdx);
        if (cstate.hasBackpressure()) {
          if (__fabricJcoDebug) _debugLog('[AsyncTask#mayEnter()] disallowed due to backpressure', { taskID: this.#id });
          return false;
        }
        if (!cstate.callingSyncImport()) {
          if (__fabricJcoDebug) _debugLog('[AsyncTask#mayEnter()] disallowed due to sync import call', { taskID: this.#id });
          return false;
        }
        const callingSyncExportWithSyncPending = cstate.callingSyncExport && !task.isAsync;
        if (!callingSyncExportWithSyncPending) {
          if (__fabricJcoDebug) _debugLog('[AsyncTask#mayEnter()] disallowed due to sync export w/ sync pending', { taskID: this.#id });
          return false;
        }
        return true;
      }
      
      enterSync() {
        if (this.needsExclusiveLock()) {
          const cstate = getOrCreateAsyncState(this.#componentIdx);
          if (!cstate.isExclusivelyLocked()) {
            cstate.exclusiveLock(this.#id);
          } else {
            // A host-called sync export arriving while another
            // task's slice holds the lock: synchronous entry
            // cannot wait, and historically this entry silently
            // stole the hold. Run without the lock instead --
            // the holder's bookkeeping stays intact and its
            // release still pairs
            this.#lockFreeEntry = true;
            if (__fabricJcoDebug) _debugLog('[AsyncTask#enterSync()] entering without exclusive lock', {
              taskID: this.#id,
              componentIdx: this.#componentIdx,
            });
          }
        }
        return true;
      }
      
      tryEnter() {
        if (this.#entered) {
          throw new Error(`task with ID [${this.#id}] should not be entered twice`);
        }
        
        if (this.deliverPendingCancel({ cancellable: true })) {
          this.cancel();
          return false;
        }
        
        const cstate = getOrCreateAsyncState(this.#componentIdx);
        if (this.isSync()) {
          this.#entered = true;
          return true;
        }
        if (cstate.hasBackpressure()) { return null; }
        if (this.needsExclusiveLock()) {
          if (cstate.isExclusivelyLocked()) { return null; }
          cstate.exclusiveLock(this.#id);
        }
        
        if (this.deliverPendingCancel({ cancellable: true })) {
          cstate.exclusiveRelease(this.#id);
          this.cancel();
          return false;
        }
        
        this.#entered = true;
        return true;
      }
      
      async enter(opts) {
        if (__fabricJcoDebug) _debugLog('[AsyncTask#enter()] args', {
          taskID: this.#id,
          componentIdx: this.#componentIdx,
          subtaskID: this.getParentSubtask()?.id(),
          args: opts,
          entryFnName: this.#entryFnName,
        });
        
        if (this.#entered) {
          throw new Error(`task with ID [${this.#id}] should not be entered twice`);
        }
        
        // If cancellation was requested before the task was entered, resolve
        // as cancelled without ever running guest code
        if (this.deliverPendingCancel({ cancellable: true })) {
          this.cancel();
          return false;
        }
        
        const cstate = getOrCreateAsyncState(this.#componentIdx);
        
        if (opts?.isHost) {
          this.#entered = true;
          // A guest task may be synchronously blocked in this
          // host entry. Propagate that boundary so an async
          // cancellation driver can yield BLOCKED while the host
          // operation is outstanding.
          const parentTask = this.#parentSubtask?.getParentTask();
          if (
          parentTask?.taskState() === AsyncTask.State.CANCEL_DELIVERED
          || (parentTask && !parentTask.hasCallback())
          ) {
            parentTask.notifyProgress();
          }
          return this.#entered;
        }
        
        // NOTE: concurrent task lifetimes within one component instance are
        // permitted by the Component Model: entry is governed by the
        // backpressure and exclusive-lock checks below (the lock is held per
        // execution slice, not for the task's lifetime).
        //
        // Serializing entire task lifetimes here (the former "execution slot" queue)
        // deadlocks pipelines where a parked long-lived task's progress depends on a
        // later entry into the same component.
        
        // If a task is synchronous then we can avoid component-relevant
        // tracking and immediately enter.
        if (this.isSync()) {
          this.#entered = true;
          
          // TODO(breaking): remove once manually-specifying async fns is removed
          // It is currently possible for an actually sync export to be specified
          // as async via JSPI
          if (this.#isManualAsync) {
            if (this.needsExclusiveLock()) { await cstate.acquireExclusiveLock(this.#id); }
          }
          
          return this.#entered;
        }
        
        // Perform intial backpressure check
        if (cstate.hasBackpressure()) {
          cstate.addBackpressureWaiter();
          
          const result = await this.waitUntil({
            readyFn: () => {
              return !cstate.hasBackpressure();
            },
            cancellable: true,
          });
          
          cstate.removeBackpressureWaiter();
          
          if (!result || this.isCancelled()) {
            if (!this.isResolvedState()) { this.cancel(); }
            return false;
          }
        }
        
        // Acquire the per-slice exclusive lock (FIFO-queued when
        // contended); the first slice runs under this hold and the
        // driver loop releases/re-acquires it per slice thereafter.
        if (this.needsExclusiveLock()) {
          await cstate.acquireExclusiveLock(this.#id);
        }
        
        // Cancellation-before-start may resolve this task while its
        // queued lock acquisition is still pending. Acquiring the lock
        // does not make the already-resolved task runnable again.
        if (this.isResolvedState() || this.isCancelled()) {
          cstate.exclusiveRelease(this.#id);
          return false;
        }
        
        // Cancellation can be requested while entry is waiting for
        // backpressure or its exclusive lock. Do not execute the guest
        // after acquiring a lock for a task that should no longer start.
        if (this.deliverPendingCancel({ cancellable: true })) {
          cstate.exclusiveRelease(this.#id);
          this.cancel();
          return false;
        }
        
        this.#entered = true;
        return this.#entered;
      }
      
      isRunningState() { return this.#state !== AsyncTask.State.RESOLVED; }
      isResolvedState() { return this.#state === AsyncTask.State.RESOLVED; }
      isResolved() { return this.#state === AsyncTask.State.RESOLVED; }
      isExited() { return this.#exited; }
      
      async waitUntil(opts) {
        const { readyFn, cancellable } = opts;
        if (__fabricJcoDebug) _debugLog('[AsyncTask#waitUntil()] args', { taskID: this.#id, args: { cancellable } });
        
        // TODO(fix): check for cancel
        // TODO(fix): determinism
        // TODO(threads): add this thread to waiting list
        
        const keepGoing = await this.suspendUntil({
          readyFn,
          cancellable,
        });
        
        return keepGoing;
      }
      
      async yieldUntil(opts) {
        const { readyFn, cancellable } = opts;
        if (__fabricJcoDebug) _debugLog('[AsyncTask#yieldUntil()]', {
          taskID: this.#id,
          args: {
            cancellable,
          },
          componentIdx: this.#componentIdx,
        });
        
        // A callback YIELD is an explicit request to let other work run.
        // Unlike waits whose condition is already ready, it must always
        // suspend for at least one scheduler turn.
        const keepGoing = await this.immediateSuspend({ readyFn, cancellable });
        if (keepGoing) {
          return {
            code: ASYNC_EVENT_CODE.NONE,
            payload0: 0,
            payload1: 0,
          };
        }
        
        return {
          code: ASYNC_EVENT_CODE.TASK_CANCELLED,
          payload0: 0,
          payload1: 0,
        };
      }
      
      async suspendUntil(opts) {
        const { cancellable, readyFn } = opts;
        if (__fabricJcoDebug) _debugLog('[AsyncTask#suspendUntil()] args', {
          taskID: this.#id,
          args: {
            cancellable,
          },
          componentIdx: this.#componentIdx,
        });
        
        const pendingCancelled = this.deliverPendingCancel({ cancellable });
        if (pendingCancelled) { return false; }
        
        const completed = await this.immediateSuspendUntil({ readyFn, cancellable });
        return completed;
      }
      
      suspendUntilCallback(opts, onResume) {
        const { cancellable, readyFn } = opts;
        if (this.deliverPendingCancel({ cancellable })) {
          onResume(false);
          return;
        }
        
        const cstate = getOrCreateAsyncState(this.#componentIdx);
        cstate.suspendTask({
          task: this,
          cancellable,
          readyFn: () => {
            if (cancellable && this.#state === AsyncTask.State.CANCEL_PENDING) {
              return true;
            }
            return readyFn();
          },
          onResume: (keepGoing) => {
            if (keepGoing && this.deliverPendingCancel({ cancellable })) {
              keepGoing = false;
            }
            onResume(keepGoing);
          },
        });
      }
      
      // TODO(threads): equivalent to thread.suspend_until()
      async immediateSuspendUntil(opts) {
        const { cancellable, readyFn } = opts;
        if (__fabricJcoDebug) _debugLog('[AsyncTask#immediateSuspendUntil()] args', {
          args: {
            cancellable,
            readyFn,
          },
          taskID: this.#id,
          componentIdx: this.#componentIdx,
        });
        
        const ready = readyFn();
        if (ready && ASYNC_DETERMINISM === 'random') {
          const coinFlip = _coinFlip();
          if (coinFlip) { return true }
        }
        
        const keepGoing = await this.immediateSuspend({ cancellable, readyFn });
        return keepGoing;
      }
      
      async immediateSuspend(opts) { // NOTE: equivalent to thread.suspend()
      // TODO(threads): store readyFn on the thread
      const { cancellable, readyFn } = opts;
      if (__fabricJcoDebug) _debugLog('[AsyncTask#immediateSuspend()] args', { cancellable, readyFn });
      
      const pendingCancelled = this.deliverPendingCancel({ cancellable });
      if (pendingCancelled) { return false; }
      
      const cstate = getOrCreateAsyncState(this.#componentIdx);
      const keepGoing = await cstate.suspendTask({
        task: this,
        cancellable,
        readyFn: () => {
          // A pending cancellation request wakes cancellable waits
          if (cancellable && this.#state === AsyncTask.State.CANCEL_PENDING) {
            return true;
          }
          return readyFn();
        },
      });
      if (keepGoing && this.deliverPendingCancel({ cancellable })) { return false; }
      return keepGoing;
    }
    
    deliverPendingCancel(opts) {
      const { cancellable } = opts;
      if (__fabricJcoDebug) _debugLog('[AsyncTask#deliverPendingCancel()]', {
        args: { cancellable },
        taskID: this.#id,
        componentIdx: this.#componentIdx,
      });
      
      if (cancellable && this.#state === AsyncTask.State.CANCEL_PENDING) {
        this.#state = AsyncTask.State.CANCEL_DELIVERED;
        return true;
      }
      
      return false;
    }
    
    isCancelled() { return this.cancelled }
    cancellationRequested() { return this.cancelRequested; }
    
    // Request cooperative cancellation of this task, called on behalf of a
    // supertask performing `subtask.cancel` on the subtask this task backs.
    //
    // The request is delivered at this task's next cancellable wait
    // (see suspendUntil/immediateSuspend), at which point the task is
    // expected to acknowledge via `task.cancel` or still resolve via
    // `task.return`.
    requestCancellation() {
      if (__fabricJcoDebug) _debugLog('[AsyncTask#requestCancellation()] args', {
        taskID: this.#id,
        componentIdx: this.#componentIdx,
        state: this.#state,
      });
      if (this.isResolvedState() || this.cancelRequested) { return; }
      this.cancelRequested = true;
      if (this.#state === AsyncTask.State.INITIAL) {
        this.#state = AsyncTask.State.CANCEL_PENDING;
      }
      // Nudge the component's tick loop so that any suspended cancellable
      // wait observes the pending cancellation promptly
      getOrCreateAsyncState(this.#componentIdx).runTickLoop();
    }
    
    cancel(args) {
      if (__fabricJcoDebug) _debugLog('[AsyncTask#cancel()] args', { });
      if (this.taskState() !== AsyncTask.State.CANCEL_DELIVERED) {
        throw new Error(`(component [${this.#componentIdx}]) task [${this.#id}] invalid task state [${this.taskState()}] for cancellation`);
      }
      this.validateResourceBorrowScope();
      this.cancelled = true;
      // Cancelled tasks resolve with no value (spec: `Task.cancel` calls
      // `on_resolve(None)`); an explicit error is only present on the
      // host-driven rejection path (see `reject()`).
      this.onResolve(args?.error ?? null);
      this.#state = AsyncTask.State.RESOLVED;
      // A task cancelled before entry has no driver loop that can
      // report its exit. Entered tasks notify after releasing their
      // component slice in `exit()`.
      if (!this.#entered) { this.notifyProgress(); }
    }
    
    onResolve(taskValue) {
      const handlers = this.#onResolveHandlers;
      this.#onResolveHandlers = [];
      for (const f of handlers) {
        try {
          f(taskValue);
        } catch (err) {
          if (__fabricJcoDebug) _debugLog("[AsyncTask#onResolve] error during task resolve handler", err);
          throw err;
        }
      }
      
      // Rejections are control-flow failures, not canonical ABI results.
      // Propagate them through the subtask chain without running return
      // lowering or post-return hooks for a successful result.
      if (this.#rejected) {
        this.#parentSubtask?.reject(taskValue);
        return;
      }
      
      // NOTE: if the parent subtask has already been resolved (e.g. it was
      // cancelled via `subtask.cancel` while this task was still pending),
      // this task's resolution must be discarded rather than delivered.
      const parentSubtaskPending = this.#parentSubtask && !this.#parentSubtask.isResolved();
      const taskReturned = !this.isCancelled();
      
      if (parentSubtaskPending && taskReturned) {
        const meta = this.#parentSubtask.getCallMetadata();
        // Run the rturn fn if it has not already been called -- this *should* have happened in
        // `task.return`, but some paths do not go through task.return (e.g. async lower of sync fn
        // which goes through prepare + async-start-call)
        if (meta.returnFn && !meta.returnFnCalled) {
          if (__fabricJcoDebug) _debugLog('[AsyncTask#onResolve()] running returnFn', {
            componentIdx: this.#componentIdx,
            taskID: this.#id,
            subtaskID: this.#parentSubtask.id(),
          });
          const callerTask = this.#parentSubtask.getParentTask();
          _withGlobalCurrentTaskMeta({
            taskID: callerTask.id(),
            componentIdx: callerTask.componentIdx(),
            fn: () => meta.returnFn.apply(null, [taskValue, meta.resultPtr]),
          });
          meta.returnFnCalled = true;
        }
      }
      
      if (this.#postReturnFn && taskReturned) {
        if (__fabricJcoDebug) _debugLog('[AsyncTask#onResolve()] running post return ', {
          componentIdx: this.#componentIdx,
          taskID: this.#id,
        });
        try {
          _withGlobalCurrentTaskMeta({
            taskID: this.#id,
            componentIdx: this.#componentIdx,
            fn: () => this.#postReturnFn(taskValue),
          });
        } catch (err) {
          if (__fabricJcoDebug) _debugLog("[AsyncTask#onResolve] error during task resolve handler", err);
          throw err;
        }
      }
      
      if (parentSubtaskPending) {
        this.#parentSubtask.onResolve(taskValue);
      }
    }
    
    registerOnResolveHandler(f) {
      this.#onResolveHandlers.push(f);
    }
    
    isRejected() { return this.#rejected; }
    
    isErrored() { return this.#errored; }
    setErrored(err) {
      // Preserve the originating trap when unwinding through
      // additional guest frames produces secondary traps (often
      // an `unreachable` after a call which was expected to trap).
      if (this.#errored === null) { this.#errored = err; }
    }
    
    reject(taskErr) {
      if (__fabricJcoDebug) _debugLog('[AsyncTask#reject()] args', {
        componentIdx: this.#componentIdx,
        taskID: this.#id,
        parentSubtask: this.#parentSubtask,
        parentSubtaskID: this.#parentSubtask?.id(),
        entryFnName: this.entryFnName(),
        callbackFnName: this.#callbackFnName,
        errMsg: taskErr.message,
      });
      
      this.setErrored(taskErr);
      if (this.#rejected) { return; }
      
      // A task may call `task.return` before its callback exits.
      // A trap in cleanup or spawned work must still reject the
      // host call and poison the enclosing task chain.
      if (this.isResolvedState()) {
        this.#rejected = true;
        this.#errored = taskErr;
        const parentTask = this.#parentSubtask?.getParentTask();
        if (parentTask) { parentTask.reject(taskErr); }
        return;
      }
      
      this.#rejected = true;
      this.cancelRequested = true;
      this.#state = AsyncTask.State.CANCEL_PENDING;
      const cancelled = this.deliverPendingCancel({ cancellable: true });
      
      // TODO: do cleanup here to reset the machinery so we can run again?
      
      this.cancel({ error: taskErr });
    }
    
    resolve(results) {
      if (__fabricJcoDebug) _debugLog('[AsyncTask#resolve()] args', {
        componentIdx: this.#componentIdx,
        taskID: this.#id,
        entryFnName: this.entryFnName(),
        callbackFnName: this.#callbackFnName,
      });
      
      if (this.#state === AsyncTask.State.RESOLVED) {
        throw new Error(`(component [${this.#componentIdx}]) task [${this.#id}]  is already resolved (did you forget to wait for an import?)`);
      }
      
      this.validateResourceBorrowScope();
      
      this.#state = AsyncTask.State.RESOLVED;
      
      switch (results.length) {
        case 0:
        this.onResolve(undefined);
        break;
        case 1:
        this.onResolve(results[0]);
        break;
        default:
        if (__fabricJcoDebug) _debugLog('[AsyncTask#resolve()] unexpected number of results', {
          componentIdx: this.#componentIdx,
          results,
          taskID: this.#id,
          subtaskID: this.#parentSubtask?.id(),
          entryFnName: this.#entryFnName,
          callbackFnName: this.#callbackFnName,
        });
        throw new Error('unexpected number of results');
      }
    }
    
    exit(args) {
      if (__fabricJcoDebug) _debugLog('[AsyncTask#exit()]', {
        componentIdx: this.#componentIdx,
        taskID: this.#id,
      });
      
      if (this.#exited)  { throw new Error("task has already exited"); }
      
      if (this.#state !== AsyncTask.State.RESOLVED) {
        throw new Error(`(component [${this.#componentIdx}]) task [${this.#id}] exited without resolution`);
      }
      
      this.validateResourceBorrowScope();
      
      const state = getOrCreateAsyncState(this.#componentIdx);
      if (!state) { throw new Error('missing async state for component [' + this.#componentIdx + ']'); }
      
      // Exempt the host from exclusive lock check
      if (this.#componentIdx !== -1 && !args?.skipExclusiveLockCheck && !this.#lockFreeEntry) {
        if (this.needsExclusiveLock() && !state.exclusivelyLockedBy(this.#id)) {
          throw new Error(`task [${this.#id}] exit: component [${this.#componentIdx}] should have been exclusively locked by it`);
        }
      }
      
      // Ownership-checked: releases only this task's own hold (a
      // task exiting while another task's slice holds the lock no
      // longer clears the foreign hold).
      state.exclusiveRelease(this.#id);
      this.notifyProgress();
      
      for (const f of this.#onExitHandlers) {
        try {
          f();
        } catch (err) {
          console.error("error during task exit handler", err);
          throw err;
        }
      }
      
      this.#exited = true;
      clearCurrentTask(this.#componentIdx, this.id());
    }
    
    needsExclusiveLock() {
      // Host (-1) tasks model host-side import handling: there is no
      // guest linear memory or executor state to protect, and host
      // calls from unrelated guest components would contend spuriously.
      if (this.#componentIdx === -1) { return false; }
      // Import-handler tasks (CallInterface) run host code nested
      // inside the calling guest slice, which already holds the
      // lock; only tasks that execute guest slices need it.
      if (!this.#callingWasmExport) { return false; }
      // A sync-lifted callee cannot be reentered until the whole
      // stackful call returns. This is the Component Model's
      // automatic-backpressure rule for async-lowered calls.
      return !this.#isAsync || this.hasCallback() || this.#calleeIsAsync === false;
    }
    
    createSubtask(args) {
      if (__fabricJcoDebug) _debugLog('[AsyncTask#createSubtask()] args', args);
      const { componentIdx, childTask, callMetadata, fnName, isAsync, isManualAsync } = args;
      
      const cstate = getOrCreateAsyncState(this.#componentIdx);
      if (!cstate) {
        throw new Error(`invalid/missing async state for component idx [${componentIdx}]`);
      }
      
      const waitable = new Waitable({
        componentIdx: this.#componentIdx,
        target: `subtask (internal ID [${this.#id}])`,
      });
      
      const newSubtask = new AsyncSubtask({
        componentIdx,
        childTask,
        parentTask: this,
        callMetadata,
        isAsync,
        isManualAsync,
        fnName,
        waitable,
      });
      this.#subtasks.push(newSubtask);
      newSubtask.setTarget(`subtask (internal ID [${newSubtask.id()}], waitable [${waitable.idx()}], component [${componentIdx}])`);
      waitable.setIdx(cstate.handles.insert(newSubtask));
      waitable.setTarget(`waitable for subtask (waitable id [${waitable.idx()}], subtask internal ID [${newSubtask.id()}])`);
      return newSubtask;
    }
    
    getLatestSubtask() {
      return this.#subtasks.at(-1);
    }
    
    getSubtaskByWaitableRep(rep) {
      if (rep === undefined) { throw new TypeError('missing rep'); }
      return this.#subtasks.find(s => s.waitableRep() === rep);
    }
    
    currentSubtask() {
      if (__fabricJcoDebug) _debugLog('[AsyncTask#currentSubtask()]');
      if (this.#subtasks.length === 0) { return undefined; }
      return this.#subtasks.at(-1);
    }
    
    removeSubtask(subtask) {
      if (this.#subtasks.length === 0) {
        throw new Error('cannot end current subtask: no current subtask');
      }
      this.#subtasks = this.#subtasks.filter(t => t !== subtask);
      return subtask;
    }
  }
  
  function createNewCurrentTask(args) {
    if (__fabricJcoDebug) _debugLog('[createNewCurrentTask()] args', args);
    const {
      componentIdx,
      isAsync,
      isManualAsync,
      preserveFutureResult,
      entryFnName,
      parentSubtaskID,
      callbackFnName,
      getCallbackFn,
      getParamsFn,
      stringEncoding,
      errHandling,
      getCalleeParamsFn,
      resultPtr,
      callingWasmExport,
    } = args;
    if (componentIdx === undefined || componentIdx === null) {
      throw new Error('missing/invalid component instance index while starting task');
    }
    let taskMetas = ASYNC_TASKS_BY_COMPONENT_IDX.get(componentIdx);
    const callbackFn = getCallbackFn ? getCallbackFn() : null;
    
    const newTask = new AsyncTask({
      componentIdx,
      isAsync,
      isManualAsync,
      preserveFutureResult,
      entryFnName,
      callbackFn,
      callbackFnName,
      stringEncoding,
      getCalleeParamsFn,
      resultPtr,
      errHandling,
      callingWasmExport,
    });
    
    const newTaskID = newTask.id();
    const newTaskMeta = { id: newTaskID, componentIdx, task: newTask };
    
    // NOTE: do not track host tasks
    ASYNC_CURRENT_TASK_IDS.push(newTaskID);
    ASYNC_CURRENT_COMPONENT_IDXS.push(componentIdx);
    
    if (!taskMetas) {
      taskMetas = [newTaskMeta];
      ASYNC_TASKS_BY_COMPONENT_IDX.set(componentIdx, [newTaskMeta]);
    } else {
      taskMetas.push(newTaskMeta);
    }
    
    return [newTask, newTaskID];
  }
  
  function _checkMayLeave(componentIdx) {
    if (INSTANCE_FLAGS.get(componentIdx)?.value !== 1) {
      throw new WebAssemblyRuntimeError('cannot leave component instance');
    }
  }
  
  function _setGlobalCurrentTaskMeta(args) {
    if (!args) { throw new TypeError('args missing'); }
    if (args.taskID === undefined) { throw new TypeError('missing task ID'); }
    if (args.componentIdx === undefined) { throw new TypeError('missing component idx'); }
    const { taskID, componentIdx } = args;
    return CURRENT_TASK_META.current =
    CURRENT_TASK_META[componentIdx] = { taskID, componentIdx };
  }
  
  
  async function _clearCurrentTask(args) {
    if (__fabricJcoDebug) _debugLog('[_clearCurrentTask()] args', args);
    if (!args) { throw new TypeError('args missing'); }
    if (args.taskID === undefined) { throw new TypeError('missing task ID'); }
    if (args.componentIdx === undefined) { throw new TypeError('missing component idx'); }
    const { taskID, componentIdx } = args;
    
    const meta = CURRENT_TASK_META[componentIdx];
    if (!meta) { throw new Error(`missing current task meta for component idx [${componentIdx}]`); }
    
    if (meta.taskID !== taskID) {
      throw new Error(`task ID [${meta.taskID}] != requested ID [${taskID}]`);
    }
    if (meta.componentIdx !== componentIdx) {
      throw new Error(`component idx [${meta.componentIdx}] != requested idx [${componentIdx}]`);
    }
    
    CURRENT_TASK_META[componentIdx] = null;
    if (CURRENT_TASK_META.current?.taskID === taskID) {
      CURRENT_TASK_META.current = null;
    }
  }
  
  function _lowerImportBackwardsCompat(args) {
    const params = [...arguments].slice(1);
    if (__fabricJcoDebug) _debugLog('[_lowerImportBackwardsCompat()] args', { args, params });
    const {
      functionIdx,
      componentIdx,
      isAsync,
      isManualAsync,
      paramLiftFns,
      resultLowerFns,
      hasResultPointer,
      funcTypeIsAsync,
      metadata,
      memoryIdx,
      getMemoryFn,
      getReallocFn,
      importFn,
      stringEncoding,
    } = args;
    
    _checkMayLeave(componentIdx);
    
    let meta = _getGlobalCurrentTaskMeta(componentIdx);
    let createdTask;
    
    // Some components depend on initialization logic (i.e. `_initialize` or some such
    // core wasm export) that is embedded in the component, but is not executed or wizer'd
    // away before the transpiled component is attempted to be used.
    //
    // These components execut their initialization logic *when they are imported* in the
    // transpiled context -- so we may get a call to an export that is lowered without going
    // through `CallWasm` or `CallInterface`.
    //
    if (!meta) {
      if (funcTypeIsAsync || (isAsync && !isManualAsync)) {
        throw new Error('p3 async wasm exports cannot use backwards compat auto-task init');
      }
      
      const [newTask, newTaskID] = createNewCurrentTask({
        componentIdx,
        isAsync,
        isManualAsync,
        callingWasmExport: false,
      });
      createdTask = newTask;
      
      // Since we're managing the task creation ourselves we must clear ourselves
      createdTask.registerOnResolveHandler(() => {
        _clearCurrentTask({
          taskID: task.id(),
          componentIdx: task.componentIdx(),
        });
      });
      
      _setGlobalCurrentTaskMeta({
        componentIdx,
        taskID: newTaskID,
      });
      
      meta = _getGlobalCurrentTaskMeta(componentIdx);
    }
    
    const { taskID } = meta;
    
    const taskMeta = getCurrentTask(componentIdx, taskID);
    if (!taskMeta) {
      throw new Error('invalid/missing async task meta');
    }
    
    const task = taskMeta.task;
    if (!task) { throw new Error('invalid/missing async task'); }
    
    const cstate = getOrCreateAsyncState(componentIdx);
    
    if (!task.mayBlock() && funcTypeIsAsync && !isAsync) {
      throw new Error("non async exports cannot synchronously call async functions");
    }
    
    // If there is an existing task, this should be part of a subtask
    const memory = getMemoryFn();
    // Canonical ABI lower appends result storage as a trailing
    // param when async lower has any flat result, or sync lower
    // has more than one flat result.
    const resultPtr = hasResultPointer ? params[params.length - 1] : undefined;
    const subtask = task.createSubtask({
      componentIdx,
      parentTask: task,
      fnName: importFn.fnName,
      isAsync,
      isManualAsync,
      callMetadata: {
        memoryIdx,
        memory,
        realloc: getReallocFn?.(),
        getReallocFn,
        resultPtr,
        lowers: resultLowerFns,
        funcTypeIsAsync,
        stringEncoding,
      }
    });
    task.setReturnMemoryIdx(memoryIdx);
    task.setReturnMemory(getMemoryFn());
    
    subtask.onStart();
    
    // If dealing with a sync lowered sync function, we can directly return results
    //
    // TODO(breaking): remove once we get rid of manual async import specification,
    // as func types cannot be detected in that case only (and we don't need that w/ p3)
    if (!isManualAsync && !isAsync && !funcTypeIsAsync) {
      if (createdTask) { createdTask.enterSync(); }
      
      const res = importFn(...params);
      
      // TODO(breaking): remove once we get rid of manual async import specification,
      // as func types cannot be detected in that case only (and we don't need that w/ p3)
      if (!funcTypeIsAsync && !subtask.isReturned()) {
        throw new Error('post-execution subtasks must either be async or returned');
      }
      
      const syncRes = subtask.getResult();
      if (createdTask) { createdTask.resolve([syncRes]); }
      
      return syncRes;
    }
    
    // Sync-lowered async functions requires async behavior because the callee *can* block,
    // but this call must *act* synchronously and return immediately with the result
    // (i.e. not returning until the work is done)
    //
    // TODO(breaking): remove checking for manual async specification here, once we can go p3-only
    //
    if (!isManualAsync && !isAsync && funcTypeIsAsync) {
      const { promise, resolve, reject } = promiseWithResolvers();
      queueMicrotask(async () => {
        try {
          await importFn(...params);
          if (!subtask.isResolved()) {
            await task.suspendUntil({ readyFn: () => subtask.isResolved() });
          }
          resolve(subtask.getResult());
        } catch (err) {
          reject(err);
        }
      });
      return promise;
    }
    
    // NOTE: at this point we know that we are working with an async lowered import
    
    const subtaskState = subtask.getStateNumber();
    if (subtaskState < 0 || subtaskState >= 2**4) {
      throw new Error('invalid subtask state, out of valid range');
    }
    
    subtask.setOnProgressFn(() => {
      subtask.setPendingEvent(() => {
        if (subtask.isResolved()) { subtask.deliverResolve(); }
        const event = {
          code: ASYNC_EVENT_CODE.SUBTASK,
          payload0: subtask.waitableRep(),
          payload1: subtask.getStateNumber(),
        }
        return event;
      });
    });
    
    // This is a hack to maintain backwards compatibility with
    // manually-specified async imports, used in wasm exports that are
    // not actually async (but are specified as so).
    //
    // This is not normal p3 sync behavior but instead anticipating that
    // the caller that is doing manual async will be waiting for a promise that
    // resolves to the *actual* result.
    //
    // TODO(breaking): remove once manually specified async is removed
    //
    // There are a few cases:
    // 1. sync function with async types (e.g. `f: func() -> stream<u32>`)
    // 2. async function with async types (e.g. `f: async func() -> stream<u32>`)
    // 3. async function with sync types (e.g. `f: async func() -> list<u32>`)
    // 4. sync function with non-async types (e.g. `f: func() -> list<u32>`)
    //
    // This hack *only* applies to 4 -- the case where an async JS host function
    // is supplied to a Wasm export which does *not* need to do any async abi
    // lifting/lowering (async ABI did not exist when JSPI integratiton was
    // initially merged to enable asynchronously returning values from the host)
    //
    const requiresManualAsyncResult = !isAsync && !funcTypeIsAsync && isManualAsync;
    let manualAsyncResult;
    if (requiresManualAsyncResult) {
      manualAsyncResult = promiseWithResolvers();
    }
    
    queueMicrotask(async () => {
      try {
        if (__fabricJcoDebug) _debugLog('[_lowerImportBackwardsCompat()] calling lowered import', { importFn, params });
        if (createdTask) { await createdTask.enter(); }
        
        const asyncRes = await importFn(...params);
        if (requiresManualAsyncResult) {
          manualAsyncResult.resolve(subtask.getResult());
        }
        
        if (createdTask) { createdTask.resolve([asyncRes]); }
        
        
      } catch (err) {
        if (__fabricJcoDebug) _debugLog("[_lowerImportBackwardsCompat()] import fn error:", err);
        if (requiresManualAsyncResult) {
          manualAsyncResult.reject(err);
          return;
        }
        task.setErrored(err);
        task.reject(err);
      }
    });
    
    if (requiresManualAsyncResult) { return manualAsyncResult.promise; }
    
    if (__fabricJcoDebug) _debugLog('[_lowerImportBackwardsCompat()] async-lowered import return', {
      fnName: importFn.fnName,
      componentIdx,
      subtaskID: subtask.id(),
      waitableRep: subtask.waitableRep(),
      subtaskState,
      packedResult: Number(subtask.waitableRep()) << 4 | subtaskState,
    });
    
    return Number(subtask.waitableRep()) << 4 | subtaskState;
  }
  
  const CURRENT_TASK_MAY_BLOCK= globalThis.WebAssembly ? new globalThis.WebAssembly.Global({ value: 'i32', mutable: true }, 0) : false;
  
  let SYMMETRIC_SYNC_GUEST_CALL_STACK = [];
  
  function _symmetricSyncGuestCallEnter(callerComponentIdx, calleeIsAsync, calleeComponentIdx, syncOnly = false) {
    if (__fabricJcoDebug) _debugLog('[_symmetricSyncGuestCallEnter()] args', {
      callerComponentIdx,
      calleeIsAsync,
      calleeComponentIdx
    });
    
    const cstate = getOrCreateAsyncState(calleeComponentIdx);
    
    // The conditional JSPI trampoline probes this path before
    // invoking its Suspending fallback. Avoid creating either
    // task until the probe knows that entry can complete in the
    // current Wasm slice.
    if (syncOnly && !calleeIsAsync && cstate.isExclusivelyLocked()) {
      return 0;
    }
    
    const callerTaskMeta = getCurrentTask(callerComponentIdx);
    if (!callerTaskMeta) { throw new Error('missing current caller task metadata'); }
    const callerTask = callerTaskMeta.task;
    if (!callerTask) { throw new Error('missing current caller task'); }
    
    const subtask = callerTask.createSubtask({
      componentIdx: callerComponentIdx,
      parentTask: callerTask,
      // This adapter is a synchronous lowering even when
      // the callee's component function is async. Its
      // bookkeeping subtask is never exposed to the guest.
      isAsync: false,
    });
    
    const [newTask, newTaskID] = createNewCurrentTask({
      componentIdx: calleeComponentIdx,
      isAsync: !!calleeIsAsync,
      // A manually-async root uses one JSPI stack through any
      // sync-typed component adapters on the way to its configured
      // async import, so preserve that compatibility mode here.
      isManualAsync: callerTask.isManualAsync(),
      entryFnName: [
      'task',
      callerTask.id(),
      'subtask',
      subtask.id(),
      'task',
      'new-sync-guest-task',
      ].join("/"),
    });
    
    subtask.setChildTask(newTask);
    newTask.setParentSubtask(subtask);
    
    subtask.onStart();
    
    const finishEnter = () => {
      _setGlobalCurrentTaskMeta({
        taskID: newTask.id(),
        componentIdx: newTask.componentIdx(),
      });
      SYMMETRIC_SYNC_GUEST_CALL_STACK.push({
        componentIdx: newTask.componentIdx(),
        previousTaskMayBlock: CURRENT_TASK_MAY_BLOCK.value,
      });
      CURRENT_TASK_MAY_BLOCK.value = newTask.mayBlock() ? 1 : 0;
      
      if (__fabricJcoDebug) _debugLog('[_symmetricSyncGuestCallEnter()] finished preparing', {
        callerComponentIdx,
        calleeComponentIdx,
        subtaskID: subtask.id(),
        newTaskID: newTask.id(),
      });
    };
    
    // Take the callee's per-slice exclusive lock. Uncontended entry
    // stays fully synchronous (returning a non-promise means the
    // Suspending-wrapped trampoline does not suspend, so pure-sync
    // compositions keep working without WebAssembly.promising).
    // Contended entry queues FIFO on the holder instead of silently
    // stealing the hold; the returned
    // promise suspends the caller's (JSPI) stack until ownership.
    if (!newTask.needsExclusiveLock()) {
      finishEnter();
      return 1;
    }
    if (!cstate.isExclusivelyLocked()) {
      cstate.exclusiveLock(newTask.id());
      finishEnter();
      return 1;
    }
    return cstate.acquireExclusiveLock(newTask.id()).then(() => {
      finishEnter();
      return 1;
    });
  }
  
  function _symmetricSyncGuestCallExit() {
    const { componentIdx, previousTaskMayBlock } = SYMMETRIC_SYNC_GUEST_CALL_STACK.pop();
    const cstate = getOrCreateAsyncState(componentIdx);
    
    const taskMeta = getCurrentTask(componentIdx);
    if (!taskMeta) { throw new Error('missing current caller task metadata'); }
    const task = taskMeta.task;
    if (!task) { throw new Error('missing current caller task'); }
    
    if (__fabricJcoDebug) _debugLog('[_symmetricSyncGuestCallExit()] exiting', {
      componentIdx,
      taskID: task.id(),
      subtask: task.getParentSubtask(),
      subtaskID: task.getParentSubtask()?.id(),
      parent: task.getParentSubtask()?.getParentTask(),
    });
    
    const callerTask = task.getParentSubtask().getParentTask();
    task.resolve([]);
    task.exit();
    
    CURRENT_TASK_MAY_BLOCK.value = previousTaskMayBlock;
    
    _clearCurrentTask({
      taskID: task.id(),
      componentIdx: task.componentIdx(),
    });
    _setGlobalCurrentTaskMeta({
      taskID: callerTask.id(),
      componentIdx: callerTask.componentIdx(),
    });
  }
  
  function _liftFlatU8(ctx) {
    if (__fabricJcoDebug) _debugLog('[_liftFlatU8()] args', { ctx });
    let val;
    
    if (ctx.useDirectParams) {
      if (ctx.params.length === 0) { throw new Error('expected at least a single i32 argument'); }
      val = ctx.params[0];
      ctx.params = ctx.params.slice(1);
      return [val, ctx];
    }
    
    if (ctx.storageLen !== undefined && ctx.storageLen < 1) {
      throw new Error(`insufficient storage ([${ctx.storageLen}] bytes) for lift (u8 requires 1 byte)`);
    }
    
    val = new DataView(ctx.memory.buffer).getUint8(ctx.storagePtr, true);
    
    ctx.storagePtr += 1;
    if (ctx.storageLen !== undefined) { ctx.storageLen -= 1; }
    
    return [val, ctx];
  }
  
  
  function _liftFlatU16(ctx) {
    if (__fabricJcoDebug) _debugLog('[_liftFlatU16()] args', { ctx });
    let val;
    
    if (ctx.useDirectParams) {
      if (ctx.params.length === 0) { throw new Error('expected at least a single i32 argument'); }
      val = ctx.params[0];
      ctx.params = ctx.params.slice(1);
      return [val, ctx];
    }
    
    if (ctx.storageLen !== undefined && ctx.storageLen < 2) {
      throw new Error(`insufficient storage ([${ctx.storageLen}] bytes) for lift (u16 requires 2 bytes)`);
    }
    
    val = new DataView(ctx.memory.buffer).getUint16(ctx.storagePtr, true);
    
    ctx.storagePtr += 2;
    if (ctx.storageLen !== undefined) { ctx.storageLen -= 2; }
    
    const rem = ctx.storagePtr % 2;
    if (rem !== 0) { ctx.storagePtr += (2 - rem); }
    
    return [val, ctx];
  }
  
  
  function _liftFlatU32(ctx) {
    if (__fabricJcoDebug) _debugLog('[_liftFlatU32()] args', { ctx });
    let val;
    
    if (ctx.useDirectParams) {
      if (ctx.params.length === 0) { throw new Error('expected at least a single i34 argument'); }
      // core i32 values arrive as signed numbers
      val = ctx.params[0] >>> 0;
      ctx.params = ctx.params.slice(1);
      return [val, ctx];
    }
    
    if (ctx.storageLen !== undefined && ctx.storageLen < 4) {
      throw new Error(`insufficient storage ([${ctx.storageLen}] bytes) for lift (u32 requires 4 bytes)`);
    }
    val = new DataView(ctx.memory.buffer).getUint32(ctx.storagePtr, true);
    ctx.storagePtr += 4;
    if (ctx.storageLen !== undefined) { ctx.storageLen -= 4; }
    
    return [val, ctx];
  }
  
  
  function _liftFlatStringUTF8(ctx) {
    if (__fabricJcoDebug) _debugLog('[_liftFlatStringUTF8()] args', { ctx });
    let val;
    
    if (ctx.useDirectParams) {
      if (ctx.params.length < 2) { throw new Error('expected at least two u32 arguments'); }
      let offset = ctx.params[0];
      if (typeof offset === 'bigint') { offset = Number(offset); }
      if (!Number.isSafeInteger(offset)) { throw new Error('invalid offset'); }
      const len = ctx.params[1];
      if (!Number.isSafeInteger(len)) {  throw new Error('invalid len'); }
      val = TEXT_DECODER_UTF8.decode(new DataView(ctx.memory.buffer, offset, len));
      ctx.params = ctx.params.slice(2);
      return [val, ctx];
    }
    
    const rem = ctx.storagePtr % 4;
    if (rem !== 0) { ctx.storagePtr += (4 - rem); }
    
    const dv = new DataView(ctx.memory.buffer);
    const start = dv.getUint32(ctx.storagePtr, true);
    const codeUnits = dv.getUint32(ctx.storagePtr + 4, true);
    
    val = TEXT_DECODER_UTF8.decode(new Uint8Array(ctx.memory.buffer, start, codeUnits));
    
    ctx.storagePtr += 8;
    if (ctx.storageLen !== undefined) { ctx.storagelen -= 8; }
    
    return [val, ctx];
  }
  
  function _liftFlatStringUTF16(ctx) {
    if (__fabricJcoDebug) _debugLog('[_liftFlatStringUTF16()] args', { ctx });
    let val;
    
    if (ctx.useDirectParams) {
      if (ctx.params.length < 2) { throw new Error('expected at least two u32 arguments'); }
      let offset = ctx.params[0];
      if (typeof offset === 'bigint') { offset = Number(offset); }
      if (!Number.isSafeInteger(offset)) {  throw new Error('invalid offset'); }
      const len = ctx.params[1];
      if (!Number.isSafeInteger(len)) {  throw new Error('invalid len'); }
      val = utf16Decoder.decode(new DataView(ctx.memory.buffer, offset, len));
      ctx.params = ctx.params.slice(2);
      return [val, ctx];
    }
    
    const data = new DataView(ctx.memory.buffer)
    const start = data.getUint32(ctx.storagePtr, vals[0], true);
    const codeUnits = data.getUint32(ctx.storagePtr, vals[0] + 4, true);
    val = utf16Decoder.decode(new Uint16Array(ctx.memory.buffer, start, codeUnits));
    ctx.storagePtr = ctx.storagePtr + 2 * codeUnits;
    if (ctx.storageLen !== undefined) { ctx.storageLen = ctx.storageLen - 2 * codeUnits }
    
    return [val, ctx];
  }
  
  function _liftFlatStringAny(ctx) {
    switch (ctx.stringEncoding) {
      case 'utf8':
      return _liftFlatStringUTF8(ctx);
      case 'utf16':
      return _liftFlatStringUTF16(ctx);
      default:
      throw new Error(`missing/unrecognized/unsupported string encoding [${ctx.stringEncoding}]`);
    }
  }
  
  const _liftFlatVariantScratch = new DataView(new ArrayBuffer(8));
  
  function _liftFlatVariant(meta) {
    const {
      caseMetas,
      variantSize32,
      variantAlign32,
      variantPayloadOffset32,
      variantFlatCount,
      variantPayloadFlatTypes,
      isEnum,
    } = meta;
    
    return function _liftFlatVariantInner(ctx) {
      if (__fabricJcoDebug) _debugLog('[_liftFlatVariant()] args', { ctx });
      const origUseParams = ctx.useDirectParams;
      
      let caseIdx;
      let liftRes;
      const originalPtr = ctx.storagePtr;
      const numCases =  caseMetas.length;
      if (caseMetas.length < 256) {
        liftRes = _liftFlatU8(ctx);
      } else if (numCases >= 256 && numCases < 65536) {
        liftRes = _liftFlatU16(ctx);
      } else if (numCases >= 65536 && numCases < 4_294_967_296) {
        liftRes = _liftFlatU32(ctx);
      } else {
        throw new Error(`unsupported number of variant cases [${numCases}]`);
      }
      caseIdx = liftRes[0];
      ctx = liftRes[1];
      
      const [
      tag,
      liftFn,
      caseSize32,
      caseAlign32,
      caseFlatCount,
      caseFlatTypes,
      ] = caseMetas[caseIdx];
      
      if (variantPayloadOffset32 === undefined) {
        throw new Error('unexpectedly missing payload offset');
      }
      
      if (originalPtr !== undefined) {
        ctx.storagePtr = originalPtr + variantPayloadOffset32;
      }
      
      let val;
      if (liftFn === null) {
        val = { tag };
        // NOTE: here we need to move past the entire object in memory
        // despite moving to the payload which we now know is missing/unnecessary
        if (originalPtr !== undefined) {
          ctx.storagePtr = originalPtr + variantSize32;
        }
      } else {
        // When lifting from direct params, the payload arrives as the
        // *join* of all case flat representations: each slot whose
        // joined core type differs from the selected case's core type
        // must be reinterpreted before the payload lift
        // (see CanonicalABI `lift_flat_variant`)
        if (ctx.useDirectParams) {
          if (!variantPayloadFlatTypes || !caseFlatTypes) {
            throw new Error('missing variant flat type metadata during direct-param lift');
          }
          const scratch = _liftFlatVariantScratch;
          for (let i = 0; i < caseFlatTypes.length; i++) {
            const have = variantPayloadFlatTypes[i];
            const want = caseFlatTypes[i];
            if (have === want) { continue; }
            const val = ctx.params[i];
            if (have === 'i64' && want === 'i32') {
              ctx.params[i] = Number(BigInt.asIntN(32, val));
            } else if (have === 'i64' && want === 'f32') {
              scratch.setInt32(0, Number(BigInt.asIntN(32, val)), true);
              ctx.params[i] = scratch.getFloat32(0, true);
            } else if (have === 'i64' && want === 'f64') {
              scratch.setBigInt64(0, val, true);
              ctx.params[i] = scratch.getFloat64(0, true);
            } else if (have === 'i32' && want === 'f32') {
              scratch.setInt32(0, val, true);
              ctx.params[i] = scratch.getFloat32(0, true);
            } else {
              throw new Error(`invalid variant payload coercion [${have}] -> [${want}]`);
            }
          }
        }
        
        const [newVal, newCtx] = liftFn(ctx);
        val = { tag, val: newVal };
        ctx = newCtx;
      }
      
      if (origUseParams) {
        if (variantFlatCount === undefined || variantFlatCount === null) {
          if (__fabricJcoDebug) _debugLog('[_liftFlatVariant()] variant with unknown flat count', { ctx, meta });
          throw new Error('cannot lift variant with unknown flat count');
        }
        if (caseFlatCount === undefined || caseFlatCount === null) {
          if (__fabricJcoDebug) _debugLog('[_liftFlatVariant()] case with unknown flat count', { ctx, meta, case: meta.caseMetas[caseIdx] });
          throw new Error('cannot lift case with unknown flat count');
        }
        // NOTE: enums can be tightly packed and do not have a descriminant
        const remainingPayloadParams = variantFlatCount - caseFlatCount - (isEnum ? 0 : 1);
        if (remainingPayloadParams < 0) {
          throw new Error(`invalid variant flat count metadata`);
        }
        if (ctx.params.length < remainingPayloadParams) {
          throw new Error(`expected at least [${remainingPayloadParams}] remaining variant payload params, but got [${ctx.params.length}]`);
        }
        ctx.params = ctx.params.slice(remainingPayloadParams);
      }
      
      if (ctx.storagePtr !== undefined) {
        const rem = ctx.storagePtr % variantAlign32;
        if (rem !== 0) { ctx.storagePtr += variantAlign32 - rem; }
      }
      
      return [val, ctx];
    }
  }
  
  function _liftFlatList(meta) {
    const { elemLiftFn, elemSize32, elemAlign32, knownLen, typedArray } = meta;
    
    const listValue =
    typedArray === undefined
    ? values => values
    : values => new typedArray(values);
    
    const readValuesAndReset = (ctx, originalPtr, originalLen, dataPtr, len) => {
      if (dataPtr % elemAlign32 !== 0) {
        throw new TypeError(`list pointer [${dataPtr}] is not aligned to ${elemAlign32}`);
      }
      ctx.storagePtr = dataPtr;
      const val = [];
      for (var i = 0; i < len; i++) {
        const elemPtr = dataPtr + i * elemSize32;
        ctx.storagePtr = elemPtr;
        const [res, nextCtx] = elemLiftFn(ctx);
        val.push(res);
        ctx = nextCtx;
        
        ctx.storagePtr = Math.max(ctx.storagePtr, elemPtr + elemSize32);
      }
      if (originalPtr !== null) { ctx.storagePtr = originalPtr; }
      if (originalLen !== null) { ctx.storageLen = originalLen; }
      return [listValue(val), ctx];
    };
    
    return function _liftFlatListInner(ctx) {
      if (__fabricJcoDebug) _debugLog('[_liftFlatList()] args', { ctx });
      
      let liftResults;
      if (knownLen !== undefined) { // list with known length
      if (ctx.useDirectParams) {
        if (__fabricJcoDebug) _debugLog('memory unexpectedly missing while lifting unknown length list', { ctx });
        liftResults = [listValue(ctx.params.slice(0, knownLen)), ctx];
        ctx.params = ctx.params.slice(knownLen);
      } else { // indirect params
      if (ctx.memory === null) {
        if (__fabricJcoDebug) _debugLog('memory unexpectedly missing while lifting known length list', { knownLen, ctx });
        throw new Error(`memory missing while lifting known length (${knownLen}) list`);
      }
      
      const originalLen = ctx.storageLen;
      const originalPtr = ctx.storagePtr;
      
      ctx.storageLen = knownLen * elemSize32;
      liftResults = readValuesAndReset(ctx, null, originalLen, ctx.storagePtr, knownLen);
    }
    
  } else { // unknown length list
  
  if (ctx.useDirectParams) {
    // unknown length list ptr w/ direct params
    const dataPtr = ctx.params[0];
    const len = ctx.params[1];
    ctx.params = ctx.params.slice(2);
    
    ctx.useDirectParams = false;
    const originalPtr = ctx.storagePtr;
    const originalLen = ctx.storageLen;
    ctx.storageLen = len * elemSize32;
    
    liftResults = readValuesAndReset(ctx, originalPtr, originalLen, dataPtr, len);
    
    ctx.useDirectParams = true;
  } else {
    // unknown length list ptr w/ in-memory params
    const originalLen = ctx.storageLen;
    ctx.storageLen = 8;
    
    const dataPtrLiftRes = _liftFlatU32(ctx);
    const dataPtr = dataPtrLiftRes[0];
    ctx = dataPtrLiftRes[1];
    
    const lenLiftRes = _liftFlatU32(ctx);
    const len = lenLiftRes[0];
    ctx = lenLiftRes[1];
    
    const originalPtr = ctx.storagePtr;
    ctx.storagePtr = dataPtr;
    
    ctx.storageLen = len * elemSize32;
    liftResults = readValuesAndReset(ctx, originalPtr, originalLen, dataPtr, len);
  }
}

return liftResults;
}
}

function _liftFlatEnum(meta) {
  meta.isEnum = true;
  const f = _liftFlatVariant(meta);
  return function _liftFlatEnumInner(ctx) {
    if (__fabricJcoDebug) _debugLog('[_liftFlatEnum()] args', { ctx });
    const res = f(ctx);
    res[0] = res[0].tag;
    return res;
  }
}

function _liftFlatOption(meta) {
  const { payloadMaybeNull } = meta;
  const f = _liftFlatVariant(meta);
  return function _liftFlatOptionInner(ctx) {
    if (__fabricJcoDebug) _debugLog('[_liftFlatOption()] args', { ctx });
    const res = f(ctx);
    if (!payloadMaybeNull) {
      res[0] = res[0].tag === 'none' ? undefined : res[0].val;
    }
    return res;
  }
}

function _lowerFlatBool(ctx) {
  if (__fabricJcoDebug) _debugLog('[_lowerFlatBool()] args', { ctx });
  
  if (!ctx.memory) { throw new Error("missing memory for lower"); }
  if (ctx.vals.length !== 1) {
    throw new Error(`unexpected number [${ctx.vals.length}] of vals (expected 1)`);
  }
  
  _requireValidNumericPrimitive.bind('bool', ctx.vals[0]);
  new DataView(ctx.memory.buffer).setUint8(ctx.storagePtr, ctx.vals[0] ? 1 : 0);
  
  ctx.storagePtr += 1;
}

function _lowerFlatU8(ctx) {
  if (__fabricJcoDebug) _debugLog('[_lowerFlatU8()] args', ctx);
  
  if (ctx.vals.length !== 1) {
    throw new Error(`unexpected number [${ctx.vals.length}] of vals (expected 1)`);
  }
  
  _requireValidNumericPrimitive.bind('u8', ctx.vals[0]);
  
  if (!ctx.memory) { throw new Error("missing memory for lower"); }
  new DataView(ctx.memory.buffer).setUint8(ctx.storagePtr, ctx.vals[0]);
  
  ctx.storagePtr += 1;
}

function _lowerFlatU16(ctx) {
  if (__fabricJcoDebug) _debugLog('[_lowerFlatU16()] args', { ctx });
  
  if (!ctx.memory) { throw new Error("missing memory for lower"); }
  if (ctx.vals.length !== 1) {
    throw new Error(`unexpected number [${ctx.vals.length}] of vals (expected 1)`);
  }
  
  const rem = ctx.storagePtr % 2;
  if (rem !== 0) { ctx.storagePtr += (2 - rem); }
  
  _requireValidNumericPrimitive.bind('u16', ctx.vals[0]);
  new DataView(ctx.memory.buffer).setUint16(ctx.storagePtr, ctx.vals[0], true);
  
  ctx.storagePtr += 2;
}

function _lowerFlatU32(ctx) {
  if (__fabricJcoDebug) _debugLog('[_lowerFlatU32()] args', { ctx });
  
  if (ctx.vals.length !== 1) {
    throw new Error(`expected single value to lower, got [${ctx.vals.length}]`);
  }
  
  const rem = ctx.storagePtr % 4;
  if (rem !== 0) { ctx.storagePtr += (4 - rem); }
  
  _requireValidNumericPrimitive.bind('u32', ctx.vals[0]);
  new DataView(ctx.memory.buffer).setUint32(ctx.storagePtr, ctx.vals[0], true);
  
  ctx.storagePtr += 4;
}

function _lowerFlatStringUTF8(ctx) {
  if (__fabricJcoDebug) _debugLog('[_lowerFlatStringUTF8()] args', ctx);
  if (!ctx.realloc) { throw new Error('missing realloc during flat string lower'); }
  
  const { ptr, len } = _utf8AllocateAndEncode(ctx.vals[0], ctx.realloc, ctx.memory);
  
  const view = new DataView(ctx.memory.buffer);
  view.setUint32(ctx.storagePtr, ptr, true);
  view.setUint32(ctx.storagePtr + 4, len, true);
  
  ctx.storagePtr += 8;
}

function _lowerFlatStringUTF16(ctx) {
  if (__fabricJcoDebug) _debugLog('[_lowerFlatStringUTF16()] args', { ctx });
  if (!ctx.realloc) { throw new Error('missing realloc during flat string lower'); }
  
  const { ptr, len } = _utf16AllocateAndEncode(ctx.vals[0], ctx.realloc, ctx.memory);
  
  const view = new DataView(ctx.memory.buffer);
  view.setUint32(ctx.storagePtr, ptr, true);
  view.setUint32(ctx.storagePtr + 4, len, true);
  
  ctx.storagePtr += 8;
}

function _lowerFlatStringAny(ctx) {
  switch (ctx.stringEncoding) {
    case 'utf8':
    return _lowerFlatStringUTF8(ctx);
    case 'utf16':
    return _lowerFlatStringUTF16(ctx);
    default:
    throw new Error(`missing/unrecognized/unsupported string encoding [${ctx.stringEncoding}]`);
  }
}

function _lowerFlatRecord(meta) {
  const { fieldMetas, size32: recordSize32, align32: recordAlign32 } = meta;
  return function _lowerFlatRecordInner(ctx) {
    if (__fabricJcoDebug) _debugLog('[_lowerFlatRecord()] args', { ctx });
    
    const originalPtr = ctx.storagePtr;
    const r = ctx.vals[0];
    for (const [tag, lowerFn, size32, align32 ] of fieldMetas) {
      const rem = ctx.storagePtr % align32;
      if (rem !== 0) { ctx.storagePtr += align32 - rem; }
      
      const fieldPtr = ctx.storagePtr;
      ctx.vals = [r[tag]];
      lowerFn(ctx);
      
      ctx.storagePtr = Math.max(ctx.storagePtr, fieldPtr + size32);
    }
    
    ctx.storagePtr = Math.max(ctx.storagePtr, originalPtr + recordSize32);
    
    const rem = ctx.storagePtr % recordAlign32;
    if (rem !== 0) {
      ctx.storagePtr += recordAlign32 - rem;
    }
  }
}

function _lowerFlatVariant(meta) {
  const { variantSize32, variantAlign32, variantPayloadOffset32, caseMetas } = meta;
  
  let caseLookup = {};
  for (const [idx, meta] of caseMetas.entries()) {
    let tag = meta[0];
    caseLookup[tag] = { discriminant: idx, meta };
  }
  
  return function _lowerFlatVariantInner(ctx) {
    if (__fabricJcoDebug) _debugLog('[_lowerFlatVariant()] args', { ctx });
    
    const { tag, val } = ctx.vals[0];
    const variantCase = caseLookup[tag];
    if (!variantCase) {
      throw new Error(`missing tag [${tag}] (valid tags: ${Object.keys(caseLookup)})`);
    }
    
    const [ _tag, lowerFn, caseSize32, caseAlign32, caseFlatCount ] = variantCase.meta;
    
    const originalPtr = ctx.storagePtr;
    ctx.vals = [variantCase.discriminant];
    let discLowerRes;
    if (caseMetas.length < 256) {
      discLowerRes = _lowerFlatU8(ctx);
    } else if (caseMetas.length >= 256 && caseMetas.length < 65536) {
      discLowerRes = _lowerFlatU16(ctx);
    } else if (caseMetas.length >= 65536 && caseMetas.length < 4_294_967_296) {
      discLowerRes = _lowerFlatU32(ctx);
    } else {
      throw new Error(`unsupported number of cases [${caseMetas.length}]`);
    }
    
    const payloadOffsetPtr = originalPtr + variantPayloadOffset32;
    ctx.storagePtr = payloadOffsetPtr;
    ctx.vals = [val];
    if (lowerFn) { lowerFn(ctx); }
    
    ctx.storagePtr = Math.max(ctx.storagePtr, originalPtr + variantSize32);
    
    const rem = ctx.storagePtr % variantAlign32;
    if (rem !== 0) { ctx.storagePtr += variantAlign32 - rem; }
  }
}

function _lowerFlatList(meta) {
  const {
    elemLowerFn,
    knownLen,
    size32,
    align32,
    elemSize32,
    elemAlign32,
  } = meta;
  
  if (!elemLowerFn) { throw new TypeError("missing/invalid element lower fn for list"); }
  
  return function _lowerFlatListInner(ctx) {
    if (__fabricJcoDebug) _debugLog('[_lowerFlatList()] args', { ctx });
    
    if (ctx.useDirectParams) {
      if (ctx.params.length < 2) { throw new Error('insufficient params left to lower list'); }
      const storagePtr = ctx.params[0];
      const elemCount = ctx.params[1];
      ctx.params = ctx.params.slice(2);
      
      const list = ctx.vals[0];
      if (!list) { throw new Error("missing direct param value"); }
      
      const lowerCtx = {
        storagePtr,
        memory: ctx.memory,
        stringEncoding: ctx.stringEncoding,
      };
      for (let idx = 0; idx < list.length; idx++) {
        const elemPtr = storagePtr + idx * elemSize32;
        lowerCtx.storagePtr = elemPtr;
        lowerCtx.vals = list.slice(idx, idx+1);
        elemLowerFn(lowerCtx);
        lowerCtx.storagePtr = Math.max(lowerCtx.storagePtr, elemPtr + elemSize32);
      }
      ctx.storagePtr = lowerCtx.storagePtr;
      
      // TODO: implement parma-only known-length processing
      
      return;
    }
    
    // TODO(fix): is it possible to get a vals that are a addr and length here from
    // a component lower?
    
    const elems = ctx.vals[0];
    if (knownLen === undefined) {
      // unknown length
      if (!ctx.realloc) { throw new Error('missing realloc during flat string lower'); }
      const dataPtr = ctx.realloc(0, 0, elemAlign32, elemSize32 * elems.length);
      
      ctx.vals[0] = dataPtr;
      _lowerFlatU32(ctx);
      
      ctx.vals[0] = elems.length;
      _lowerFlatU32(ctx);
      
      const origPtr = ctx.storagePtr;
      ctx.storagePtr = dataPtr;
      
      for (const [idx, elem] of elems.entries()) {
        const elemPtr = dataPtr + idx * elemSize32;
        ctx.storagePtr = elemPtr;
        ctx.vals = [elem];
        elemLowerFn(ctx);
        ctx.storagePtr = Math.max(ctx.storagePtr, elemPtr + elemSize32);
      }
      
      ctx.storagePtr = origPtr;
      
    } else {
      // known length
      
      if (elems.length !== knownLen) {
        throw new TypeError(`invalid list input of length [${elems.length}], must be length [${knownLen}]`);
      }
      
      const originalPtr = ctx.storagePtr;
      for (const [idx, elem] of elems.entries()) {
        const elemPtr = originalPtr + idx * elemSize32;
        ctx.storagePtr = elemPtr;
        ctx.vals = [elem];
        elemLowerFn(ctx);
        ctx.storagePtr = Math.max(ctx.storagePtr, elemPtr + elemSize32);
      }
    }
    
    // TODO(fix): special case for u8/u16/etc, we can do a direct copy
    
    const totalSizeBytes = elems.length * size32;
    if (ctx.storageLen !== undefined && totalSizeBytes > ctx.storageLen) {
      throw new Error('not enough storage remaining for list flat lower');
    }
  }
}

function _lowerFlatResult(meta) {
  const f = _lowerFlatVariant(meta);
  return function _lowerFlatResultInner(ctx) {
    if (__fabricJcoDebug) _debugLog('[_lowerFlatResult()] args', { ctx });
    
    const v = ctx.vals[0];
    const isNotResultObject = typeof v !== 'object'
    || Object.keys(v).length !== 2
    || !('tag' in v)
    || !('ok' === v.tag || 'err' === v.tag)
    || !('val' in v);
    if (isNotResultObject) {
      ctx.vals[0] = { tag: 'ok', val: v };
    }
    
    f(ctx);
  };
}

function _trackHostOperation(operation) {
  const result = operation();
  if (result === null ||
  (typeof result !== 'object' && typeof result !== 'function') ||
  typeof result.then !== 'function') {
    return result;
  }
  
  STORE_ASYNC_STATE.pendingHostOperations++;
  return Promise.resolve(result).finally(() => {
    STORE_ASYNC_STATE.pendingHostOperations--;
    if (STORE_ASYNC_STATE.pendingHostOperations < 0) {
      throw new Error('negative pending host operation count');
    }
    for (const state of ASYNC_STATE.values()) { state.runTickLoop(); }
    _checkForDeadlock();
  });
}

function _guardMayLeave(componentIdx, fn) {
  return function (...args) {
    _checkMayLeave(componentIdx);
    return fn.apply(this, args);
  };
}

const symbolRscHandle = Symbol('handle');
const symbolDispose = Symbol.dispose || Symbol.for('dispose');

function finalizationRegistryCreate (unregister) {
  if (typeof FinalizationRegistry === 'undefined') {
    return { unregister () {} };
  }
  return new FinalizationRegistry(unregister);
}

const hasOwnProperty = Object.prototype.hasOwnProperty;

function getErrorPayload(e) {
  if (e && hasOwnProperty.call(e, 'payload')) return e.payload;
  if (e instanceof Error) throw e;
  return e;
}

function throwInvalidBool() {
  throw new TypeError('invalid variant discriminant for bool');
}

function _suspendingImport(componentIdx, fn, syncOnly = false, switchesTask = false) {
  return function (...args) {
    _checkMayLeave(componentIdx);
    const saved = CURRENT_TASK_META[componentIdx] ?? null;
    
    const savedTask = saved
    ? getCurrentTask(saved.componentIdx, saved.taskID)?.task
    : null;
    const mayBlock = savedTask
    ? (savedTask?.mayBlock() ?? (CURRENT_TASK_MAY_BLOCK.value !== 0))
    : false;
    if (!saved && !mayBlock) {
      throw new WebAssemblyRuntimeError('cannot block a synchronous task before returning');
    }
    
    if (syncOnly || !mayBlock) {
      let result;
      try {
        result = fn.apply(null, args);
      } catch (err) {
        CURRENT_TASK_META[componentIdx] = saved;
        if (!switchesTask) { CURRENT_TASK_META.current = saved; }
        throw err;
      }
      
      CURRENT_TASK_META[componentIdx] = saved;
      if (!switchesTask) { CURRENT_TASK_META.current = saved; }
      
      if (result !== null &&
      (typeof result === 'object' || typeof result === 'function') &&
      typeof result.then === 'function') {
        // The helper may already have returned a rejected promise.
        // Mark it handled before replacing it with the canonical
        // synchronous-task trap.
        Promise.resolve(result).catch(() => {});
        throw new WebAssemblyRuntimeError('cannot block a synchronous task before returning');
      }
      return result;
    }
    
    return (async () => {
      try {
        return await fn.apply(null, args);
      } finally {
        CURRENT_TASK_META[componentIdx] = saved;
        if (!switchesTask) { CURRENT_TASK_META.current = saved; }
      }
    })();
  };
}

const _conditionalSuspending3I32ToVoidModule = new WebAssembly.Module(new Uint8Array([
0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
0x01, 0x0e, 0x02, 0x60, 0x03, 0x7f, 0x7f, 0x7f,
0x01, 0x7f, 0x60, 0x03, 0x7f, 0x7f, 0x7f, 0x00,
0x02, 0x11, 0x02, 0x00, 0x04, 0x66, 0x61, 0x73,
0x74, 0x00, 0x00, 0x00, 0x04, 0x73, 0x6c, 0x6f,
0x77, 0x00, 0x00, 0x03, 0x02, 0x01, 0x01, 0x07,
0x07, 0x01, 0x03, 0x72, 0x75, 0x6e, 0x00, 0x02,
0x0a, 0x19, 0x01, 0x17, 0x00, 0x20, 0x00, 0x20,
0x01, 0x20, 0x02, 0x10, 0x00, 0x45, 0x04, 0x40,
0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0x10, 0x01,
0x1a, 0x0b, 0x0b,
]));

function _conditionalSuspending3I32ToVoid(fast, slow) {
  return new WebAssembly.Instance(
  _conditionalSuspending3I32ToVoidModule,
  { '': { fast, slow: new WebAssembly.Suspending(slow) } },
  ).exports.run;
}


const module0 = getCoreModule('component.core.wasm');
const module1 = getCoreModule('component.core2.wasm');
const module2 = getCoreModule('component.core3.wasm');
const module3 = getCoreModule('component.core4.wasm');
const module4 = getCoreModule('component.core5.wasm');
const module5 = getCoreModule('component.core6.wasm');
const module6 = getCoreModule('component.core7.wasm');
const module7 = getCoreModule('component.core8.wasm');
const module8 = getCoreModule('component.core9.wasm');
const module9 = getCoreModule('component.core10.wasm');
const module10 = getCoreModule('component.core11.wasm');
const module11 = getCoreModule('component.core12.wasm');
const module12 = getCoreModule('component.core13.wasm');

const { log } = imports['fabric:core/log'];

if (log=== undefined) {
  const err = new Error("unexpectedly undefined instance import 'log', was 'log' available at instantiation?");
  console.error("ERROR:", err.toString());
  throw err;
}

const { get, put } = imports['fabric:core/objects'];

if (get=== undefined) {
  const err = new Error("unexpectedly undefined instance import 'get', was 'get' available at instantiation?");
  console.error("ERROR:", err.toString());
  throw err;
}


if (put=== undefined) {
  const err = new Error("unexpectedly undefined instance import 'put', was 'put' available at instantiation?");
  console.error("ERROR:", err.toString());
  throw err;
}

const { get: get$1, submit, wait } = imports['fabric:core/tasks'];

if (get$1=== undefined) {
  const err = new Error("unexpectedly undefined instance import 'get$1', was 'get' available at instantiation?");
  console.error("ERROR:", err.toString());
  throw err;
}


if (submit=== undefined) {
  const err = new Error("unexpectedly undefined instance import 'submit', was 'submit' available at instantiation?");
  console.error("ERROR:", err.toString());
  throw err;
}


if (wait=== undefined) {
  const err = new Error("unexpectedly undefined instance import 'wait', was 'wait' available at instantiation?");
  console.error("ERROR:", err.toString());
  throw err;
}

let gen= (function* _initGenerator () {
  const instanceFlags1 = new WebAssembly.Global({ value: "i32", mutable: true }, 1);
  INSTANCE_FLAGS.set(1, instanceFlags1);
  const instanceFlags21 = new WebAssembly.Global({ value: "i32", mutable: true }, 1);
  INSTANCE_FLAGS.set(21, instanceFlags21);
  const instanceFlags23 = new WebAssembly.Global({ value: "i32", mutable: true }, 1);
  INSTANCE_FLAGS.set(23, instanceFlags23);
  let exports0;
  let exports1;
  let exports2;
  let exports3;
  let exports4;
  let exports5;
  let exports6;
  let exports7;
  let exports8;
  let exports9;
  let exports10;
  let memory0;
  let memory1;
  let memory2;
  let exports11;
  let realloc0;
  let realloc0Async;
  
  const _trampoline44 = function(arg0, arg1, arg2) {
    let enum0;
    switch (arg0) {
      case 0: {
        enum0 = 'trace';
        break;
      }
      case 1: {
        enum0 = 'debug';
        break;
      }
      case 2: {
        enum0 = 'info';
        break;
      }
      case 3: {
        enum0 = 'warn';
        break;
      }
      case 4: {
        enum0 = 'error';
        break;
      }
      default: {
        throw new TypeError('invalid discriminant specified for Level');
      }
    }
    var ptr1 = arg1;
    var len1 = arg2;
    var result1 = TEXT_DECODER_UTF8.decode(new Uint8Array(memory0.buffer, ptr1, len1));
    if (__fabricJcoDebug) _debugLog('[iface="fabric:core/log@0.1.0", function="log"] [Instruction::CallInterface] (sync, @ enter)');
    const hostProvided = true;
    
    let parentTask;
    let task;
    let subtask;
    
    const createTask = () => {
      const results = createNewCurrentTask({
        componentIdx: -1,
        isAsync: false,
        entryFnName: 'log',
        getCallbackFn: () => null,
        callbackFnName: null,
        errHandling: 'none',
        callingWasmExport: false,
      });
      task = results[0];
    };
    
    taskCreation: {
      parentTask = getCurrentTask(
      23,
      _getGlobalCurrentTaskMeta(23)?.taskID,
      )?.task;
      
      if (!parentTask) {
        createTask();
        break taskCreation;
      }
      
      createTask();
      
      if (hostProvided) {
        subtask = parentTask.getLatestSubtask();
        if (!subtask) {
          throw new Error(`Missing subtask (in parent task [${parentTask.id()}]) for host import, has the import been lowered? (ensure asyncImports are set properly)`);
        }
        task.setParentSubtask(subtask);
      }
    }
    
    const started = task.enterSync();
    let ret;
    
    
    try {
      _withGlobalCurrentTaskMeta({
        componentIdx: task.componentIdx(),
        taskID: task.id(),
        fn: () => _trackHostOperation(() => log(enum0, result1)),
      })
      ;
    } catch (err) {
      
      if (__fabricJcoDebug) _debugLog('[Instruction::CallInterface] error during sync call', {
        taskID: task.id(),
        subtaskID: task.getParentSubtask()?.id(),
        err,
      });
      getOrCreateAsyncState(23).markTrapped(err);
      task.setErrored(err);
      task.reject(err);
      task.exit();
      throw err;
      
    }
    
    if (__fabricJcoDebug) _debugLog('[iface="fabric:core/log@0.1.0", function="log"][Instruction::Return]', {
      funcName: 'log',
      paramCount: 0,
      async: false,
      postReturn: false
    });
    task.resolve([ret]);
    task.exit();
  }
  _trampoline44.fnName = 'fabric:core/log@0.1.0#log';
  
  const _trampoline45 = function(arg0, arg1, arg2) {
    var ptr0 = arg0;
    var len0 = arg1;
    var result0 = TEXT_DECODER_UTF8.decode(new Uint8Array(memory0.buffer, ptr0, len0));
    if (__fabricJcoDebug) _debugLog('[iface="fabric:core/objects@0.1.0", function="get"] [Instruction::CallInterface] (sync, @ enter)');
    const hostProvided = true;
    
    let parentTask;
    let task;
    let subtask;
    
    const createTask = () => {
      const results = createNewCurrentTask({
        componentIdx: -1,
        isAsync: false,
        entryFnName: 'get',
        getCallbackFn: () => null,
        callbackFnName: null,
        errHandling: 'result-catch-handler',
        callingWasmExport: false,
      });
      task = results[0];
    };
    
    taskCreation: {
      parentTask = getCurrentTask(
      23,
      _getGlobalCurrentTaskMeta(23)?.taskID,
      )?.task;
      
      if (!parentTask) {
        createTask();
        break taskCreation;
      }
      
      createTask();
      
      if (hostProvided) {
        subtask = parentTask.getLatestSubtask();
        if (!subtask) {
          throw new Error(`Missing subtask (in parent task [${parentTask.id()}]) for host import, has the import been lowered? (ensure asyncImports are set properly)`);
        }
        task.setParentSubtask(subtask);
      }
    }
    
    const started = task.enterSync();
    let ret;
    
    try {
      const hostRet1 = _withGlobalCurrentTaskMeta({
        componentIdx: task.componentIdx(),
        taskID: task.id(),
        fn: () => _trackHostOperation(() => get(result0)),
      })
      ;
      ret = hostRet1 !== null && typeof hostRet1 === 'object' && (hostRet1.tag === 'ok' || hostRet1.tag === 'err')
      ? hostRet1
      : { tag: 'ok', val: hostRet1};
    } catch (e) {
      if (getOrCreateAsyncState(23).markTrapped(e)) { throw e; }
      ret = { tag: 'err', val: getErrorPayload(e) };
    }
    
    var variant6 = ret;
    switch (variant6.tag) {
      case 'ok': {
        const e = variant6.val;
        dataView(memory0).setInt8(arg2 + 0, 0, true);
        var val2 = e;
        var len2 = Array.isArray(val2) ? val2.length : val2.byteLength;
        var ptr2 = realloc0(0, 0, 1, len2 * 1);
        
        let valData2;
        const valLenBytes2 = len2 * 1;
        if (Array.isArray(val2)) {
          // Regular array likely containing numbers, write values to memory
          let offset = 0;
          const dv2 = new DataView(memory0.buffer);
          for (const v of val2) {
            _requireValidNumericPrimitive.bind(null, 'u8')(v);
            dv2.setUint8(ptr2+ offset, v, true);
            offset += 1;
          }
        } else {
          // TypedArray / ArrayBuffer-like, direct copy
          valData2 = new Uint8Array(val2.buffer || val2, val2.byteOffset, valLenBytes2);
          const out2 = new Uint8Array(memory0.buffer, ptr2, valLenBytes2);
          out2.set(valData2);
        }
        
        dataView(memory0).setUint32(arg2 + 8, len2, true);
        dataView(memory0).setUint32(arg2 + 4, ptr2, true);
        
        break;
      }
      case 'err': {
        const e = variant6.val;
        dataView(memory0).setInt8(arg2 + 0, 1, true);
        var {kind: v3_0, message: v3_1, retryable: v3_2 } = e;
        
        var encodeRes = _utf8AllocateAndEncode(v3_0, realloc0, memory0);
        var ptr4= encodeRes.ptr;
        var len4 = encodeRes.len;
        
        dataView(memory0).setUint32(arg2 + 8, len4, true);
        dataView(memory0).setUint32(arg2 + 4, ptr4, true);
        
        var encodeRes = _utf8AllocateAndEncode(v3_1, realloc0, memory0);
        var ptr5= encodeRes.ptr;
        var len5 = encodeRes.len;
        
        dataView(memory0).setUint32(arg2 + 16, len5, true);
        dataView(memory0).setUint32(arg2 + 12, ptr5, true);
        dataView(memory0).setInt8(arg2 + 20, v3_2 ? 1 : 0, true);
        
        break;
      }
      default: {
        if (__fabricJcoDebug) _debugLog("ERROR: invalid value (expected result as object with 'tag' member)", { value: variant6, valueType: typeof variant6});
        throw new TypeError('invalid variant specified for result');
      }
    }
    if (__fabricJcoDebug) _debugLog('[iface="fabric:core/objects@0.1.0", function="get"][Instruction::Return]', {
      funcName: 'get',
      paramCount: 0,
      async: false,
      postReturn: false
    });
    task.resolve([ret]);
    task.exit();
  }
  _trampoline45.fnName = 'fabric:core/objects@0.1.0#get';
  
  const _trampoline46 = function(arg0, arg1, arg2) {
    var ptr0 = arg0;
    var len0 = arg1;
    if (ptr0 % 1 !== 0) throw new TypeError(`list pointer [${ptr0}] is not aligned to 1`);
    var result0 = new Uint8Array(memory0.buffer.slice(ptr0, ptr0 + len0 * 1));
    if (__fabricJcoDebug) _debugLog('[iface="fabric:core/objects@0.1.0", function="put"] [Instruction::CallInterface] (sync, @ enter)');
    const hostProvided = true;
    
    let parentTask;
    let task;
    let subtask;
    
    const createTask = () => {
      const results = createNewCurrentTask({
        componentIdx: -1,
        isAsync: false,
        entryFnName: 'put',
        getCallbackFn: () => null,
        callbackFnName: null,
        errHandling: 'result-catch-handler',
        callingWasmExport: false,
      });
      task = results[0];
    };
    
    taskCreation: {
      parentTask = getCurrentTask(
      23,
      _getGlobalCurrentTaskMeta(23)?.taskID,
      )?.task;
      
      if (!parentTask) {
        createTask();
        break taskCreation;
      }
      
      createTask();
      
      if (hostProvided) {
        subtask = parentTask.getLatestSubtask();
        if (!subtask) {
          throw new Error(`Missing subtask (in parent task [${parentTask.id()}]) for host import, has the import been lowered? (ensure asyncImports are set properly)`);
        }
        task.setParentSubtask(subtask);
      }
    }
    
    const started = task.enterSync();
    let ret;
    
    try {
      const hostRet1 = _withGlobalCurrentTaskMeta({
        componentIdx: task.componentIdx(),
        taskID: task.id(),
        fn: () => _trackHostOperation(() => put(result0)),
      })
      ;
      ret = hostRet1 !== null && typeof hostRet1 === 'object' && (hostRet1.tag === 'ok' || hostRet1.tag === 'err')
      ? hostRet1
      : { tag: 'ok', val: hostRet1};
    } catch (e) {
      if (getOrCreateAsyncState(23).markTrapped(e)) { throw e; }
      ret = { tag: 'err', val: getErrorPayload(e) };
    }
    
    var variant6 = ret;
    switch (variant6.tag) {
      case 'ok': {
        const e = variant6.val;
        dataView(memory0).setInt8(arg2 + 0, 0, true);
        
        var encodeRes = _utf8AllocateAndEncode(e, realloc0, memory0);
        var ptr2= encodeRes.ptr;
        var len2 = encodeRes.len;
        
        dataView(memory0).setUint32(arg2 + 8, len2, true);
        dataView(memory0).setUint32(arg2 + 4, ptr2, true);
        
        break;
      }
      case 'err': {
        const e = variant6.val;
        dataView(memory0).setInt8(arg2 + 0, 1, true);
        var {kind: v3_0, message: v3_1, retryable: v3_2 } = e;
        
        var encodeRes = _utf8AllocateAndEncode(v3_0, realloc0, memory0);
        var ptr4= encodeRes.ptr;
        var len4 = encodeRes.len;
        
        dataView(memory0).setUint32(arg2 + 8, len4, true);
        dataView(memory0).setUint32(arg2 + 4, ptr4, true);
        
        var encodeRes = _utf8AllocateAndEncode(v3_1, realloc0, memory0);
        var ptr5= encodeRes.ptr;
        var len5 = encodeRes.len;
        
        dataView(memory0).setUint32(arg2 + 16, len5, true);
        dataView(memory0).setUint32(arg2 + 12, ptr5, true);
        dataView(memory0).setInt8(arg2 + 20, v3_2 ? 1 : 0, true);
        
        break;
      }
      default: {
        if (__fabricJcoDebug) _debugLog("ERROR: invalid value (expected result as object with 'tag' member)", { value: variant6, valueType: typeof variant6});
        throw new TypeError('invalid variant specified for result');
      }
    }
    if (__fabricJcoDebug) _debugLog('[iface="fabric:core/objects@0.1.0", function="put"][Instruction::Return]', {
      funcName: 'put',
      paramCount: 0,
      async: false,
      postReturn: false
    });
    task.resolve([ret]);
    task.exit();
  }
  _trampoline46.fnName = 'fabric:core/objects@0.1.0#put';
  
  const _trampoline47 = function(arg0, arg1, arg2, arg3, arg4, arg5, arg6, arg7, arg8) {
    var ptr0 = arg0;
    var len0 = arg1;
    var result0 = TEXT_DECODER_UTF8.decode(new Uint8Array(memory0.buffer, ptr0, len0));
    var ptr1 = arg2;
    var len1 = arg3;
    var result1 = TEXT_DECODER_UTF8.decode(new Uint8Array(memory0.buffer, ptr1, len1));
    var ptr2 = arg4;
    var len2 = arg5;
    if (ptr2 % 1 !== 0) throw new TypeError(`list pointer [${ptr2}] is not aligned to 1`);
    var result2 = new Uint8Array(memory0.buffer.slice(ptr2, ptr2 + len2 * 1));
    var ptr3 = arg6;
    var len3 = arg7;
    if (ptr3 % 1 !== 0) throw new TypeError(`list pointer [${ptr3}] is not aligned to 1`);
    var result3 = new Uint8Array(memory0.buffer.slice(ptr3, ptr3 + len3 * 1));
    if (__fabricJcoDebug) _debugLog('[iface="fabric:core/tasks@0.1.0", function="submit"] [Instruction::CallInterface] (sync, @ enter)');
    const hostProvided = true;
    
    let parentTask;
    let task;
    let subtask;
    
    const createTask = () => {
      const results = createNewCurrentTask({
        componentIdx: -1,
        isAsync: false,
        entryFnName: 'submit',
        getCallbackFn: () => null,
        callbackFnName: null,
        errHandling: 'result-catch-handler',
        callingWasmExport: false,
      });
      task = results[0];
    };
    
    taskCreation: {
      parentTask = getCurrentTask(
      23,
      _getGlobalCurrentTaskMeta(23)?.taskID,
      )?.task;
      
      if (!parentTask) {
        createTask();
        break taskCreation;
      }
      
      createTask();
      
      if (hostProvided) {
        subtask = parentTask.getLatestSubtask();
        if (!subtask) {
          throw new Error(`Missing subtask (in parent task [${parentTask.id()}]) for host import, has the import been lowered? (ensure asyncImports are set properly)`);
        }
        task.setParentSubtask(subtask);
      }
    }
    
    const started = task.enterSync();
    let ret;
    
    try {
      const hostRet4 = _withGlobalCurrentTaskMeta({
        componentIdx: task.componentIdx(),
        taskID: task.id(),
        fn: () => _trackHostOperation(() => submit(result0, result1, result2, result3)),
      })
      ;
      ret = hostRet4 !== null && typeof hostRet4 === 'object' && (hostRet4.tag === 'ok' || hostRet4.tag === 'err')
      ? hostRet4
      : { tag: 'ok', val: hostRet4};
    } catch (e) {
      if (getOrCreateAsyncState(23).markTrapped(e)) { throw e; }
      ret = { tag: 'err', val: getErrorPayload(e) };
    }
    
    var variant9 = ret;
    switch (variant9.tag) {
      case 'ok': {
        const e = variant9.val;
        dataView(memory0).setInt8(arg8 + 0, 0, true);
        
        var encodeRes = _utf8AllocateAndEncode(e, realloc0, memory0);
        var ptr5= encodeRes.ptr;
        var len5 = encodeRes.len;
        
        dataView(memory0).setUint32(arg8 + 8, len5, true);
        dataView(memory0).setUint32(arg8 + 4, ptr5, true);
        
        break;
      }
      case 'err': {
        const e = variant9.val;
        dataView(memory0).setInt8(arg8 + 0, 1, true);
        var {kind: v6_0, message: v6_1, retryable: v6_2 } = e;
        
        var encodeRes = _utf8AllocateAndEncode(v6_0, realloc0, memory0);
        var ptr7= encodeRes.ptr;
        var len7 = encodeRes.len;
        
        dataView(memory0).setUint32(arg8 + 8, len7, true);
        dataView(memory0).setUint32(arg8 + 4, ptr7, true);
        
        var encodeRes = _utf8AllocateAndEncode(v6_1, realloc0, memory0);
        var ptr8= encodeRes.ptr;
        var len8 = encodeRes.len;
        
        dataView(memory0).setUint32(arg8 + 16, len8, true);
        dataView(memory0).setUint32(arg8 + 12, ptr8, true);
        dataView(memory0).setInt8(arg8 + 20, v6_2 ? 1 : 0, true);
        
        break;
      }
      default: {
        if (__fabricJcoDebug) _debugLog("ERROR: invalid value (expected result as object with 'tag' member)", { value: variant9, valueType: typeof variant9});
        throw new TypeError('invalid variant specified for result');
      }
    }
    if (__fabricJcoDebug) _debugLog('[iface="fabric:core/tasks@0.1.0", function="submit"][Instruction::Return]', {
      funcName: 'submit',
      paramCount: 0,
      async: false,
      postReturn: false
    });
    task.resolve([ret]);
    task.exit();
  }
  _trampoline47.fnName = 'fabric:core/tasks@0.1.0#submit';
  
  const _trampoline48 = function(arg0, arg1, arg2, arg3, arg4) {
    var ptr0 = arg0;
    var len0 = arg1;
    var result0 = TEXT_DECODER_UTF8.decode(new Uint8Array(memory0.buffer, ptr0, len0));
    let variant1;
    switch (arg2) {
      case 0: {
        variant1 = undefined;
        break;
      }
      case 1: {
        variant1 = arg3 >>> 0;
        break;
      }
      default: {
        throw new TypeError('invalid variant discriminant for option');
      }
    }
    if (__fabricJcoDebug) _debugLog('[iface="fabric:core/tasks@0.1.0", function="get"] [Instruction::CallInterface] (sync, @ enter)');
    const hostProvided = true;
    
    let parentTask;
    let task;
    let subtask;
    
    const createTask = () => {
      const results = createNewCurrentTask({
        componentIdx: -1,
        isAsync: false,
        entryFnName: 'get$1',
        getCallbackFn: () => null,
        callbackFnName: null,
        errHandling: 'result-catch-handler',
        callingWasmExport: false,
      });
      task = results[0];
    };
    
    taskCreation: {
      parentTask = getCurrentTask(
      23,
      _getGlobalCurrentTaskMeta(23)?.taskID,
      )?.task;
      
      if (!parentTask) {
        createTask();
        break taskCreation;
      }
      
      createTask();
      
      if (hostProvided) {
        subtask = parentTask.getLatestSubtask();
        if (!subtask) {
          throw new Error(`Missing subtask (in parent task [${parentTask.id()}]) for host import, has the import been lowered? (ensure asyncImports are set properly)`);
        }
        task.setParentSubtask(subtask);
      }
    }
    
    const started = task.enterSync();
    let ret;
    
    try {
      const hostRet2 = _withGlobalCurrentTaskMeta({
        componentIdx: task.componentIdx(),
        taskID: task.id(),
        fn: () => _trackHostOperation(() => get$1(result0, variant1)),
      })
      ;
      ret = hostRet2 !== null && typeof hostRet2 === 'object' && (hostRet2.tag === 'ok' || hostRet2.tag === 'err')
      ? hostRet2
      : { tag: 'ok', val: hostRet2};
    } catch (e) {
      if (getOrCreateAsyncState(23).markTrapped(e)) { throw e; }
      ret = { tag: 'err', val: getErrorPayload(e) };
    }
    
    var variant7 = ret;
    switch (variant7.tag) {
      case 'ok': {
        const e = variant7.val;
        dataView(memory0).setInt8(arg4 + 0, 0, true);
        var val3 = e;
        var len3 = Array.isArray(val3) ? val3.length : val3.byteLength;
        var ptr3 = realloc0(0, 0, 1, len3 * 1);
        
        let valData3;
        const valLenBytes3 = len3 * 1;
        if (Array.isArray(val3)) {
          // Regular array likely containing numbers, write values to memory
          let offset = 0;
          const dv3 = new DataView(memory0.buffer);
          for (const v of val3) {
            _requireValidNumericPrimitive.bind(null, 'u8')(v);
            dv3.setUint8(ptr3+ offset, v, true);
            offset += 1;
          }
        } else {
          // TypedArray / ArrayBuffer-like, direct copy
          valData3 = new Uint8Array(val3.buffer || val3, val3.byteOffset, valLenBytes3);
          const out3 = new Uint8Array(memory0.buffer, ptr3, valLenBytes3);
          out3.set(valData3);
        }
        
        dataView(memory0).setUint32(arg4 + 8, len3, true);
        dataView(memory0).setUint32(arg4 + 4, ptr3, true);
        
        break;
      }
      case 'err': {
        const e = variant7.val;
        dataView(memory0).setInt8(arg4 + 0, 1, true);
        var {kind: v4_0, message: v4_1, retryable: v4_2 } = e;
        
        var encodeRes = _utf8AllocateAndEncode(v4_0, realloc0, memory0);
        var ptr5= encodeRes.ptr;
        var len5 = encodeRes.len;
        
        dataView(memory0).setUint32(arg4 + 8, len5, true);
        dataView(memory0).setUint32(arg4 + 4, ptr5, true);
        
        var encodeRes = _utf8AllocateAndEncode(v4_1, realloc0, memory0);
        var ptr6= encodeRes.ptr;
        var len6 = encodeRes.len;
        
        dataView(memory0).setUint32(arg4 + 16, len6, true);
        dataView(memory0).setUint32(arg4 + 12, ptr6, true);
        dataView(memory0).setInt8(arg4 + 20, v4_2 ? 1 : 0, true);
        
        break;
      }
      default: {
        if (__fabricJcoDebug) _debugLog("ERROR: invalid value (expected result as object with 'tag' member)", { value: variant7, valueType: typeof variant7});
        throw new TypeError('invalid variant specified for result');
      }
    }
    if (__fabricJcoDebug) _debugLog('[iface="fabric:core/tasks@0.1.0", function="get"][Instruction::Return]', {
      funcName: 'get',
      paramCount: 0,
      async: false,
      postReturn: false
    });
    task.resolve([ret]);
    task.exit();
  }
  _trampoline48.fnName = 'fabric:core/tasks@0.1.0#get$1';
  
  const _trampoline49 = function(arg0, arg1, arg2, arg3, arg4, arg5) {
    var len1 = arg1;
    var base1 = arg0;
    if (base1 % 4 !== 0) throw new TypeError(`list pointer [${base1}] is not aligned to 4`);
    var result1 = [];
    for (let i = 0; i < len1; i++) {
      const base = base1 + i * 8;
      var ptr0 = dataView(memory0).getUint32(base + 0, true);
      var len0 = dataView(memory0).getUint32(base + 4, true);
      var result0 = TEXT_DECODER_UTF8.decode(new Uint8Array(memory0.buffer, ptr0, len0));
      result1.push(result0);
    }
    let variant2;
    switch (arg3) {
      case 0: {
        variant2 = undefined;
        break;
      }
      case 1: {
        variant2 = arg4 >>> 0;
        break;
      }
      default: {
        throw new TypeError('invalid variant discriminant for option');
      }
    }
    if (__fabricJcoDebug) _debugLog('[iface="fabric:core/tasks@0.1.0", function="wait"] [Instruction::CallInterface] (sync, @ enter)');
    const hostProvided = true;
    
    let parentTask;
    let task;
    let subtask;
    
    const createTask = () => {
      const results = createNewCurrentTask({
        componentIdx: -1,
        isAsync: false,
        entryFnName: 'wait',
        getCallbackFn: () => null,
        callbackFnName: null,
        errHandling: 'result-catch-handler',
        callingWasmExport: false,
      });
      task = results[0];
    };
    
    taskCreation: {
      parentTask = getCurrentTask(
      23,
      _getGlobalCurrentTaskMeta(23)?.taskID,
      )?.task;
      
      if (!parentTask) {
        createTask();
        break taskCreation;
      }
      
      createTask();
      
      if (hostProvided) {
        subtask = parentTask.getLatestSubtask();
        if (!subtask) {
          throw new Error(`Missing subtask (in parent task [${parentTask.id()}]) for host import, has the import been lowered? (ensure asyncImports are set properly)`);
        }
        task.setParentSubtask(subtask);
      }
    }
    
    const started = task.enterSync();
    let ret;
    
    try {
      const hostRet3 = _withGlobalCurrentTaskMeta({
        componentIdx: task.componentIdx(),
        taskID: task.id(),
        fn: () => _trackHostOperation(() => wait(result1, arg2 >>> 0, variant2)),
      })
      ;
      ret = hostRet3 !== null && typeof hostRet3 === 'object' && (hostRet3.tag === 'ok' || hostRet3.tag === 'err')
      ? hostRet3
      : { tag: 'ok', val: hostRet3};
    } catch (e) {
      if (getOrCreateAsyncState(23).markTrapped(e)) { throw e; }
      ret = { tag: 'err', val: getErrorPayload(e) };
    }
    
    var variant9 = ret;
    switch (variant9.tag) {
      case 'ok': {
        const e = variant9.val;
        dataView(memory0).setInt8(arg5 + 0, 0, true);
        var vec5 = e;
        var len5 = vec5.length;
        var result5 = realloc0(0, 0, 4, len5 * 8);
        for (let i = 0; i < vec5.length; i++) {
          const e = vec5[i];
          const base = result5 + i * 8;
          var encodeRes = _utf8AllocateAndEncode(e, realloc0, memory0);
          var ptr4= encodeRes.ptr;
          var len4 = encodeRes.len;
          
          dataView(memory0).setUint32(base + 4, len4, true);
          dataView(memory0).setUint32(base + 0, ptr4, true);
        }
        dataView(memory0).setUint32(arg5 + 8, len5, true);
        dataView(memory0).setUint32(arg5 + 4, result5, true);
        
        break;
      }
      case 'err': {
        const e = variant9.val;
        dataView(memory0).setInt8(arg5 + 0, 1, true);
        var {kind: v6_0, message: v6_1, retryable: v6_2 } = e;
        
        var encodeRes = _utf8AllocateAndEncode(v6_0, realloc0, memory0);
        var ptr7= encodeRes.ptr;
        var len7 = encodeRes.len;
        
        dataView(memory0).setUint32(arg5 + 8, len7, true);
        dataView(memory0).setUint32(arg5 + 4, ptr7, true);
        
        var encodeRes = _utf8AllocateAndEncode(v6_1, realloc0, memory0);
        var ptr8= encodeRes.ptr;
        var len8 = encodeRes.len;
        
        dataView(memory0).setUint32(arg5 + 16, len8, true);
        dataView(memory0).setUint32(arg5 + 12, ptr8, true);
        dataView(memory0).setInt8(arg5 + 20, v6_2 ? 1 : 0, true);
        
        break;
      }
      default: {
        if (__fabricJcoDebug) _debugLog("ERROR: invalid value (expected result as object with 'tag' member)", { value: variant9, valueType: typeof variant9});
        throw new TypeError('invalid variant specified for result');
      }
    }
    if (__fabricJcoDebug) _debugLog('[iface="fabric:core/tasks@0.1.0", function="wait"][Instruction::Return]', {
      funcName: 'wait',
      paramCount: 0,
      async: false,
      postReturn: false
    });
    task.resolve([ret]);
    task.exit();
  }
  _trampoline49.fnName = 'fabric:core/tasks@0.1.0#wait';
  let exports12;
  let realloc1;
  let realloc1Async;
  let postReturn0;
  let postReturn0Async;
  let postReturn1;
  let postReturn1Async;
  let postReturn2;
  let postReturn2Async;
  let postReturn3;
  let postReturn3Async;
  let postReturn4;
  let postReturn4Async;
  let exports9Init;
  
  function init(arg0, arg1, arg2, arg3) {
    
    const hostProvided = false;
    getOrCreateAsyncState(23).throwIfTrapped();
    
    const [task, _wasm_call_currentTaskID] = createNewCurrentTask({
      componentIdx: 23,
      isAsync: false,
      isManualAsync: false,
      preserveFutureResult: false,
      entryFnName: 'exports9Init',
      getCallbackFn: () => null,
      callbackFnName: null,
      errHandling: 'throw-result-err',
      callingWasmExport: true,
    });
    task.setCalleeIsAsync(false);
    
    const started = task.enterSync();
    CURRENT_TASK_MAY_BLOCK.value = task.mayBlock() ? 1 : 0;
    
    if (0!== null) {
      task.setReturnMemoryIdx(0);
      task.setReturnMemory((() => memory0)());
    }
    
    
    return _withGlobalCurrentTaskMeta({
      taskID: task.id(),
      componentIdx: task.componentIdx(),
      fn: () => {
        try {
          
          
          var encodeRes = _utf8AllocateAndEncode(arg0, realloc1, memory0);
          var ptr0= encodeRes.ptr;
          var len0 = encodeRes.len;
          
          
          var encodeRes = _utf8AllocateAndEncode(arg1, realloc1, memory0);
          var ptr1= encodeRes.ptr;
          var len1 = encodeRes.len;
          
          var variant3 = arg2;
          let variant3_0;
          let variant3_1;
          let variant3_2;
          if (variant3 === null || variant3=== undefined) {
            variant3_0 = 0;
            variant3_1 = 0;
            variant3_2 = 0;
          } else {
            const e = variant3;
            
            var encodeRes = _utf8AllocateAndEncode(e, realloc1, memory0);
            var ptr2= encodeRes.ptr;
            var len2 = encodeRes.len;
            
            variant3_0 = 1;
            variant3_1 = ptr2;
            variant3_2 = len2;
          }
          if (__fabricJcoDebug) _debugLog('[iface="init", function="init"][Instruction::CallWasm] enter', {
            funcName: 'init',
            paramCount: 8,
            async: false,
            postReturn: true,
          });
          
          let ret;
          
          try {
            ret =  _withGlobalCurrentTaskMeta({
              taskID: task.id(),
              componentIdx: task.componentIdx(),
              fn: () => exports9Init(ptr0, len0, ptr1, len1, variant3_0, variant3_1, variant3_2, arg3 ? 1 : 0),
            });
          } catch (err) {
            
            if (__fabricJcoDebug) _debugLog('[Instruction::CallWasm] error during sync call', {
              taskID: task.id(),
              err,
            });
            getOrCreateAsyncState(23).markTrapped(err);
            task.setErrored(err);
            task.reject(err);
            task.exit();
            throw err;
            
          }
          
          let variant5;
          switch (dataView(memory0).getUint8(ret + 0, true)) {
            case 0: {
              variant5= {
                tag: 'ok',
                val: undefined
              };
              break;
            }
            case 1: {
              var ptr4 = dataView(memory0).getUint32(ret + 4, true);
              var len4 = dataView(memory0).getUint32(ret + 8, true);
              var result4 = TEXT_DECODER_UTF8.decode(new Uint8Array(memory0.buffer, ptr4, len4));
              variant5= {
                tag: 'err',
                val: result4
              };
              break;
            }
            default: {
              throw new TypeError('invalid variant discriminant for expected');
            }
          }
          if (__fabricJcoDebug) _debugLog('[iface="init", function="init"][Instruction::Return]', {
            funcName: 'init',
            paramCount: 1,
            async: false,
            postReturn: true
          });
          const retCopy = variant5;
          task.resolve([retCopy.val]);
          
          let cstate = getOrCreateAsyncState(23);
          cstate.mayLeave = false;
          postReturn0(ret);
          cstate.mayLeave = true;
          task.exit();
          
          
          
          if (typeof retCopy === 'object' && retCopy.tag === 'err') {
            throw retCopy.val;
          }
          return retCopy.val;
          
          
        } catch (err) {
          if (!task.isResolvedState()) {
            task.setErrored(err);
            task.reject(err);
          }
          if (!task.isExited()) { task.exit({ skipExclusiveLockCheck: true }); }
          throw err;
        }
      },
    });
    
  }
  
  const handleTable40 = [T_FLAG, 0];
  handleTable40._createdReps = new Set();
  handleTable40._componentIdx = 23;
  const finalizationRegistry40 = finalizationRegistryCreate((handle) => {
    const { rep } = rscTableRemove(handleTable40, handle);
    exports5['27'](rep);
  });
  
  HANDLE_TABLES[40] = handleTable40;
  let guest010StaticActorCreate;
  
  class Actor{
    constructor () {
      throw new Error('"Actor" resource does not define a constructor');
    }
  }
  
  Actor.create = function create(arg0, arg1) {
    
    const hostProvided = false;
    getOrCreateAsyncState(23).throwIfTrapped();
    
    const [task, _wasm_call_currentTaskID] = createNewCurrentTask({
      componentIdx: 23,
      isAsync: false,
      isManualAsync: false,
      preserveFutureResult: false,
      entryFnName: 'guest010StaticActorCreate',
      getCallbackFn: () => null,
      callbackFnName: null,
      errHandling: 'throw-result-err',
      callingWasmExport: true,
    });
    task.setCalleeIsAsync(false);
    
    const started = task.enterSync();
    CURRENT_TASK_MAY_BLOCK.value = task.mayBlock() ? 1 : 0;
    
    if (0!== null) {
      task.setReturnMemoryIdx(0);
      task.setReturnMemory((() => memory0)());
    }
    
    
    return _withGlobalCurrentTaskMeta({
      taskID: task.id(),
      componentIdx: task.componentIdx(),
      fn: () => {
        try {
          
          
          var encodeRes = _utf8AllocateAndEncode(arg0, realloc0, memory0);
          var ptr0= encodeRes.ptr;
          var len0 = encodeRes.len;
          
          var val1 = arg1;
          var len1 = Array.isArray(val1) ? val1.length : val1.byteLength;
          var ptr1 = realloc0(0, 0, 1, len1 * 1);
          
          let valData1;
          const valLenBytes1 = len1 * 1;
          if (Array.isArray(val1)) {
            // Regular array likely containing numbers, write values to memory
            let offset = 0;
            const dv1 = new DataView(memory0.buffer);
            for (const v of val1) {
              _requireValidNumericPrimitive.bind(null, 'u8')(v);
              dv1.setUint8(ptr1+ offset, v, true);
              offset += 1;
            }
          } else {
            // TypedArray / ArrayBuffer-like, direct copy
            valData1 = new Uint8Array(val1.buffer || val1, val1.byteOffset, valLenBytes1);
            const out1 = new Uint8Array(memory0.buffer, ptr1, valLenBytes1);
            out1.set(valData1);
          }
          
          if (__fabricJcoDebug) _debugLog('[iface="fabric:core/guest@0.1.0", function="[static]actor.create"][Instruction::CallWasm] enter', {
            funcName: '[static]actor.create',
            paramCount: 4,
            async: false,
            postReturn: true,
          });
          
          let ret;
          
          try {
            ret =  _withGlobalCurrentTaskMeta({
              taskID: task.id(),
              componentIdx: task.componentIdx(),
              fn: () => guest010StaticActorCreate(ptr0, len0, ptr1, len1),
            });
          } catch (err) {
            
            if (__fabricJcoDebug) _debugLog('[Instruction::CallWasm] error during sync call', {
              taskID: task.id(),
              err,
            });
            getOrCreateAsyncState(23).markTrapped(err);
            task.setErrored(err);
            task.reject(err);
            task.exit();
            throw err;
            
          }
          
          let variant7;
          switch (dataView(memory0).getUint8(ret + 0, true)) {
            case 0: {
              var handle3 = dataView(memory0).getInt32(ret + 4, true);
              var rsc2 = new.target === Actor ? this : Object.create(Actor.prototype);
              Object.defineProperty(rsc2, symbolRscHandle, { writable: true, value: handle3});
              finalizationRegistry40.register(rsc2, handle3, rsc2);
              Object.defineProperty(rsc2, symbolDispose, { writable: true, value: function () {
                finalizationRegistry40.unregister(rsc2);
                const handleEntry = rscTableRemove(handleTable40, handle3);
                rsc2[symbolDispose] = emptyFunc;
                rsc2[symbolRscHandle] = undefined;
                exports5['27'](handleEntry.rep);
              }});
              variant7= {
                tag: 'ok',
                val: rsc2
              };
              break;
            }
            case 1: {
              var ptr4 = dataView(memory0).getUint32(ret + 4, true);
              var len4 = dataView(memory0).getUint32(ret + 8, true);
              var result4 = TEXT_DECODER_UTF8.decode(new Uint8Array(memory0.buffer, ptr4, len4));
              var ptr5 = dataView(memory0).getUint32(ret + 12, true);
              var len5 = dataView(memory0).getUint32(ret + 16, true);
              var result5 = TEXT_DECODER_UTF8.decode(new Uint8Array(memory0.buffer, ptr5, len5));
              var bool6 = dataView(memory0).getUint8(ret + 20, true);
              variant7= {
                tag: 'err',
                val: {
                  kind: result4,
                  message: result5,
                  retryable: bool6 == 0 ? false : (bool6 == 1 ? true : throwInvalidBool()),
                }
              };
              break;
            }
            default: {
              throw new TypeError('invalid variant discriminant for expected');
            }
          }
          if (__fabricJcoDebug) _debugLog('[iface="fabric:core/guest@0.1.0", function="[static]actor.create"][Instruction::Return]', {
            funcName: '[static]actor.create',
            paramCount: 1,
            async: false,
            postReturn: true
          });
          const retCopy = variant7;
          task.resolve([retCopy.val]);
          
          let cstate = getOrCreateAsyncState(23);
          cstate.mayLeave = false;
          postReturn1(ret);
          cstate.mayLeave = true;
          task.exit();
          
          
          
          if (typeof retCopy === 'object' && retCopy.tag === 'err') {
            throw retCopy.val;
          }
          return retCopy.val;
          
          
        } catch (err) {
          if (!task.isResolvedState()) {
            task.setErrored(err);
            task.reject(err);
          }
          if (!task.isExited()) { task.exit({ skipExclusiveLockCheck: true }); }
          throw err;
        }
      },
    });
    
  };
  let guest010MethodActorInvoke;
  
  Actor.prototype.invoke = function invoke(arg1, arg2) {
    
    const hostProvided = false;
    getOrCreateAsyncState(23).throwIfTrapped();
    
    const [task, _wasm_call_currentTaskID] = createNewCurrentTask({
      componentIdx: 23,
      isAsync: false,
      isManualAsync: false,
      preserveFutureResult: false,
      entryFnName: 'guest010MethodActorInvoke',
      getCallbackFn: () => null,
      callbackFnName: null,
      errHandling: 'throw-result-err',
      callingWasmExport: true,
    });
    task.setCalleeIsAsync(false);
    
    const started = task.enterSync();
    CURRENT_TASK_MAY_BLOCK.value = task.mayBlock() ? 1 : 0;
    
    if (0!== null) {
      task.setReturnMemoryIdx(0);
      task.setReturnMemory((() => memory0)());
    }
    
    
    return _withGlobalCurrentTaskMeta({
      taskID: task.id(),
      componentIdx: task.componentIdx(),
      fn: () => {
        try {
          
          
          var handle1 = this[symbolRscHandle];
          if (!handle1 || (handleTable40[(handle1 << 1) + 1] & T_FLAG) === 0) {
            throw new TypeError('Resource error: Not a valid \"Actor\" resource.');
          }
          var handle0 = handleTable40[(handle1 << 1) + 1] & ~T_FLAG;
          
          
          var encodeRes = _utf8AllocateAndEncode(arg1, realloc0, memory0);
          var ptr2= encodeRes.ptr;
          var len2 = encodeRes.len;
          
          var val3 = arg2;
          var len3 = Array.isArray(val3) ? val3.length : val3.byteLength;
          var ptr3 = realloc0(0, 0, 1, len3 * 1);
          
          let valData3;
          const valLenBytes3 = len3 * 1;
          if (Array.isArray(val3)) {
            // Regular array likely containing numbers, write values to memory
            let offset = 0;
            const dv3 = new DataView(memory0.buffer);
            for (const v of val3) {
              _requireValidNumericPrimitive.bind(null, 'u8')(v);
              dv3.setUint8(ptr3+ offset, v, true);
              offset += 1;
            }
          } else {
            // TypedArray / ArrayBuffer-like, direct copy
            valData3 = new Uint8Array(val3.buffer || val3, val3.byteOffset, valLenBytes3);
            const out3 = new Uint8Array(memory0.buffer, ptr3, valLenBytes3);
            out3.set(valData3);
          }
          
          if (__fabricJcoDebug) _debugLog('[iface="fabric:core/guest@0.1.0", function="[method]actor.invoke"][Instruction::CallWasm] enter', {
            funcName: '[method]actor.invoke',
            paramCount: 5,
            async: false,
            postReturn: true,
          });
          
          let ret;
          
          try {
            ret =  _withGlobalCurrentTaskMeta({
              taskID: task.id(),
              componentIdx: task.componentIdx(),
              fn: () => guest010MethodActorInvoke(handle0, ptr2, len2, ptr3, len3),
            });
          } catch (err) {
            
            if (__fabricJcoDebug) _debugLog('[Instruction::CallWasm] error during sync call', {
              taskID: task.id(),
              err,
            });
            getOrCreateAsyncState(23).markTrapped(err);
            task.setErrored(err);
            task.reject(err);
            task.exit();
            throw err;
            
          }
          
          let variant8;
          switch (dataView(memory0).getUint8(ret + 0, true)) {
            case 0: {
              var ptr4 = dataView(memory0).getUint32(ret + 4, true);
              var len4 = dataView(memory0).getUint32(ret + 8, true);
              if (ptr4 % 1 !== 0) throw new TypeError(`list pointer [${ptr4}] is not aligned to 1`);
              var result4 = new Uint8Array(memory0.buffer.slice(ptr4, ptr4 + len4 * 1));
              variant8= {
                tag: 'ok',
                val: result4
              };
              break;
            }
            case 1: {
              var ptr5 = dataView(memory0).getUint32(ret + 4, true);
              var len5 = dataView(memory0).getUint32(ret + 8, true);
              var result5 = TEXT_DECODER_UTF8.decode(new Uint8Array(memory0.buffer, ptr5, len5));
              var ptr6 = dataView(memory0).getUint32(ret + 12, true);
              var len6 = dataView(memory0).getUint32(ret + 16, true);
              var result6 = TEXT_DECODER_UTF8.decode(new Uint8Array(memory0.buffer, ptr6, len6));
              var bool7 = dataView(memory0).getUint8(ret + 20, true);
              variant8= {
                tag: 'err',
                val: {
                  kind: result5,
                  message: result6,
                  retryable: bool7 == 0 ? false : (bool7 == 1 ? true : throwInvalidBool()),
                }
              };
              break;
            }
            default: {
              throw new TypeError('invalid variant discriminant for expected');
            }
          }
          if (__fabricJcoDebug) _debugLog('[iface="fabric:core/guest@0.1.0", function="[method]actor.invoke"][Instruction::Return]', {
            funcName: '[method]actor.invoke',
            paramCount: 1,
            async: false,
            postReturn: true
          });
          const retCopy = variant8;
          task.resolve([retCopy.val]);
          
          let cstate = getOrCreateAsyncState(23);
          cstate.mayLeave = false;
          postReturn2(ret);
          cstate.mayLeave = true;
          task.exit();
          
          
          
          if (typeof retCopy === 'object' && retCopy.tag === 'err') {
            throw retCopy.val;
          }
          return retCopy.val;
          
          
        } catch (err) {
          if (!task.isResolvedState()) {
            task.setErrored(err);
            task.reject(err);
          }
          if (!task.isExited()) { task.exit({ skipExclusiveLockCheck: true }); }
          throw err;
        }
      },
    });
    
  };
  let guest010Describe;
  
  function describe() {
    
    const hostProvided = false;
    getOrCreateAsyncState(23).throwIfTrapped();
    
    const [task, _wasm_call_currentTaskID] = createNewCurrentTask({
      componentIdx: 23,
      isAsync: false,
      isManualAsync: false,
      preserveFutureResult: false,
      entryFnName: 'guest010Describe',
      getCallbackFn: () => null,
      callbackFnName: null,
      errHandling: 'none',
      callingWasmExport: true,
    });
    task.setCalleeIsAsync(false);
    
    const started = task.enterSync();
    CURRENT_TASK_MAY_BLOCK.value = task.mayBlock() ? 1 : 0;
    
    if (0!== null) {
      task.setReturnMemoryIdx(0);
      task.setReturnMemory((() => memory0)());
    }
    
    
    return _withGlobalCurrentTaskMeta({
      taskID: task.id(),
      componentIdx: task.componentIdx(),
      fn: () => {
        try {
          
          if (__fabricJcoDebug) _debugLog('[iface="fabric:core/guest@0.1.0", function="describe"][Instruction::CallWasm] enter', {
            funcName: 'describe',
            paramCount: 0,
            async: false,
            postReturn: true,
          });
          
          let ret;
          
          try {
            ret =  _withGlobalCurrentTaskMeta({
              taskID: task.id(),
              componentIdx: task.componentIdx(),
              fn: () => guest010Describe(),
            });
          } catch (err) {
            
            if (__fabricJcoDebug) _debugLog('[Instruction::CallWasm] error during sync call', {
              taskID: task.id(),
              err,
            });
            getOrCreateAsyncState(23).markTrapped(err);
            task.setErrored(err);
            task.reject(err);
            task.exit();
            throw err;
            
          }
          
          var ptr0 = dataView(memory0).getUint32(ret + 0, true);
          var len0 = dataView(memory0).getUint32(ret + 4, true);
          var result0 = TEXT_DECODER_UTF8.decode(new Uint8Array(memory0.buffer, ptr0, len0));
          var len4 = dataView(memory0).getUint32(ret + 12, true);
          var base4 = dataView(memory0).getUint32(ret + 8, true);
          if (base4 % 4 !== 0) throw new TypeError(`list pointer [${base4}] is not aligned to 4`);
          var result4 = [];
          for (let i = 0; i < len4; i++) {
            const base = base4 + i * 12;
            var ptr1 = dataView(memory0).getUint32(base + 0, true);
            var len1 = dataView(memory0).getUint32(base + 4, true);
            var result1 = TEXT_DECODER_UTF8.decode(new Uint8Array(memory0.buffer, ptr1, len1));
            var bool2 = dataView(memory0).getUint8(base + 8, true);
            var bool3 = dataView(memory0).getUint8(base + 9, true);
            result4.push({
              name: result1,
              streaming: bool2 == 0 ? false : (bool2 == 1 ? true : throwInvalidBool()),
              memo: bool3 == 0 ? false : (bool3 == 1 ? true : throwInvalidBool()),
            });
          }
          var len10 = dataView(memory0).getUint32(ret + 20, true);
          var base10 = dataView(memory0).getUint32(ret + 16, true);
          if (base10 % 4 !== 0) throw new TypeError(`list pointer [${base10}] is not aligned to 4`);
          var result10 = [];
          for (let i = 0; i < len10; i++) {
            const base = base10 + i * 24;
            var ptr5 = dataView(memory0).getUint32(base + 0, true);
            var len5 = dataView(memory0).getUint32(base + 4, true);
            var result5 = TEXT_DECODER_UTF8.decode(new Uint8Array(memory0.buffer, ptr5, len5));
            var len7 = dataView(memory0).getUint32(base + 12, true);
            var base7 = dataView(memory0).getUint32(base + 8, true);
            if (base7 % 4 !== 0) throw new TypeError(`list pointer [${base7}] is not aligned to 4`);
            var result7 = [];
            for (let i = 0; i < len7; i++) {
              const base = base7 + i * 8;
              var ptr6 = dataView(memory0).getUint32(base + 0, true);
              var len6 = dataView(memory0).getUint32(base + 4, true);
              var result6 = TEXT_DECODER_UTF8.decode(new Uint8Array(memory0.buffer, ptr6, len6));
              result7.push(result6);
            }
            var len9 = dataView(memory0).getUint32(base + 20, true);
            var base9 = dataView(memory0).getUint32(base + 16, true);
            if (base9 % 4 !== 0) throw new TypeError(`list pointer [${base9}] is not aligned to 4`);
            var result9 = [];
            for (let i = 0; i < len9; i++) {
              const base = base9 + i * 8;
              var ptr8 = dataView(memory0).getUint32(base + 0, true);
              var len8 = dataView(memory0).getUint32(base + 4, true);
              var result8 = TEXT_DECODER_UTF8.decode(new Uint8Array(memory0.buffer, ptr8, len8));
              result9.push(result8);
            }
            result10.push({
              name: result5,
              methods: result7,
              streaming: result9,
            });
          }
          if (__fabricJcoDebug) _debugLog('[iface="fabric:core/guest@0.1.0", function="describe"][Instruction::Return]', {
            funcName: 'describe',
            paramCount: 1,
            async: false,
            postReturn: true
          });
          task.resolve([{
            sdk: result0,
            tasks: result4,
            actors: result10,
          }]);
          const retCopy = {
            sdk: result0,
            tasks: result4,
            actors: result10,
          };
          
          let cstate = getOrCreateAsyncState(23);
          cstate.mayLeave = false;
          postReturn3(ret);
          cstate.mayLeave = true;
          task.exit();
          return retCopy;
          
          
        } catch (err) {
          if (!task.isResolvedState()) {
            task.setErrored(err);
            task.reject(err);
          }
          if (!task.isExited()) { task.exit({ skipExclusiveLockCheck: true }); }
          throw err;
        }
      },
    });
    
  }
  let guest010Call;
  
  function call(arg0, arg1) {
    
    const hostProvided = false;
    getOrCreateAsyncState(23).throwIfTrapped();
    
    const [task, _wasm_call_currentTaskID] = createNewCurrentTask({
      componentIdx: 23,
      isAsync: false,
      isManualAsync: false,
      preserveFutureResult: false,
      entryFnName: 'guest010Call',
      getCallbackFn: () => null,
      callbackFnName: null,
      errHandling: 'throw-result-err',
      callingWasmExport: true,
    });
    task.setCalleeIsAsync(false);
    
    const started = task.enterSync();
    CURRENT_TASK_MAY_BLOCK.value = task.mayBlock() ? 1 : 0;
    
    if (0!== null) {
      task.setReturnMemoryIdx(0);
      task.setReturnMemory((() => memory0)());
    }
    
    
    return _withGlobalCurrentTaskMeta({
      taskID: task.id(),
      componentIdx: task.componentIdx(),
      fn: () => {
        try {
          
          
          var encodeRes = _utf8AllocateAndEncode(arg0, realloc0, memory0);
          var ptr0= encodeRes.ptr;
          var len0 = encodeRes.len;
          
          var val1 = arg1;
          var len1 = Array.isArray(val1) ? val1.length : val1.byteLength;
          var ptr1 = realloc0(0, 0, 1, len1 * 1);
          
          let valData1;
          const valLenBytes1 = len1 * 1;
          if (Array.isArray(val1)) {
            // Regular array likely containing numbers, write values to memory
            let offset = 0;
            const dv1 = new DataView(memory0.buffer);
            for (const v of val1) {
              _requireValidNumericPrimitive.bind(null, 'u8')(v);
              dv1.setUint8(ptr1+ offset, v, true);
              offset += 1;
            }
          } else {
            // TypedArray / ArrayBuffer-like, direct copy
            valData1 = new Uint8Array(val1.buffer || val1, val1.byteOffset, valLenBytes1);
            const out1 = new Uint8Array(memory0.buffer, ptr1, valLenBytes1);
            out1.set(valData1);
          }
          
          if (__fabricJcoDebug) _debugLog('[iface="fabric:core/guest@0.1.0", function="call"][Instruction::CallWasm] enter', {
            funcName: 'call',
            paramCount: 4,
            async: false,
            postReturn: true,
          });
          
          let ret;
          
          try {
            ret =  _withGlobalCurrentTaskMeta({
              taskID: task.id(),
              componentIdx: task.componentIdx(),
              fn: () => guest010Call(ptr0, len0, ptr1, len1),
            });
          } catch (err) {
            
            if (__fabricJcoDebug) _debugLog('[Instruction::CallWasm] error during sync call', {
              taskID: task.id(),
              err,
            });
            getOrCreateAsyncState(23).markTrapped(err);
            task.setErrored(err);
            task.reject(err);
            task.exit();
            throw err;
            
          }
          
          let variant6;
          switch (dataView(memory0).getUint8(ret + 0, true)) {
            case 0: {
              var ptr2 = dataView(memory0).getUint32(ret + 4, true);
              var len2 = dataView(memory0).getUint32(ret + 8, true);
              if (ptr2 % 1 !== 0) throw new TypeError(`list pointer [${ptr2}] is not aligned to 1`);
              var result2 = new Uint8Array(memory0.buffer.slice(ptr2, ptr2 + len2 * 1));
              variant6= {
                tag: 'ok',
                val: result2
              };
              break;
            }
            case 1: {
              var ptr3 = dataView(memory0).getUint32(ret + 4, true);
              var len3 = dataView(memory0).getUint32(ret + 8, true);
              var result3 = TEXT_DECODER_UTF8.decode(new Uint8Array(memory0.buffer, ptr3, len3));
              var ptr4 = dataView(memory0).getUint32(ret + 12, true);
              var len4 = dataView(memory0).getUint32(ret + 16, true);
              var result4 = TEXT_DECODER_UTF8.decode(new Uint8Array(memory0.buffer, ptr4, len4));
              var bool5 = dataView(memory0).getUint8(ret + 20, true);
              variant6= {
                tag: 'err',
                val: {
                  kind: result3,
                  message: result4,
                  retryable: bool5 == 0 ? false : (bool5 == 1 ? true : throwInvalidBool()),
                }
              };
              break;
            }
            default: {
              throw new TypeError('invalid variant discriminant for expected');
            }
          }
          if (__fabricJcoDebug) _debugLog('[iface="fabric:core/guest@0.1.0", function="call"][Instruction::Return]', {
            funcName: 'call',
            paramCount: 1,
            async: false,
            postReturn: true
          });
          const retCopy = variant6;
          task.resolve([retCopy.val]);
          
          let cstate = getOrCreateAsyncState(23);
          cstate.mayLeave = false;
          postReturn4(ret);
          cstate.mayLeave = true;
          task.exit();
          
          
          
          if (typeof retCopy === 'object' && retCopy.tag === 'err') {
            throw retCopy.val;
          }
          return retCopy.val;
          
          
        } catch (err) {
          if (!task.isResolvedState()) {
            task.setErrored(err);
            task.reject(err);
          }
          if (!task.isExited()) { task.exit({ skipExclusiveLockCheck: true }); }
          throw err;
        }
      },
    });
    
  }
  
  const handleTable0 = [T_FLAG, 0];
  handleTable0._createdReps = new Set();
  handleTable0._componentIdx = 1;
  const finalizationRegistry0 = finalizationRegistryCreate((handle) => {
    const { rep } = rscTableRemove(handleTable0, handle);
    exports0['0'](rep);
  });
  
  HANDLE_TABLES[0] = handleTable0;
  function trampoline0(handle) {
    const handleEntry = rscTableRemove(handleTable0, handle);
    if (handleEntry.own) {
      exports0['0'](handleEntry.rep);
    }
  }
  const trampoline1 = rscTableCreateOwn.bind(null, handleTable0);
  function trampoline2(handle) {
    return rscTableGet(handleTable0, handle).rep;
  }
  
  const handleTable1 = [T_FLAG, 0];
  handleTable1._createdReps = new Set();
  handleTable1._componentIdx = 1;
  const finalizationRegistry1 = finalizationRegistryCreate((handle) => {
    const { rep } = rscTableRemove(handleTable1, handle);
    exports0['1'](rep);
  });
  
  HANDLE_TABLES[1] = handleTable1;
  function trampoline3(handle) {
    const handleEntry = rscTableRemove(handleTable1, handle);
    if (handleEntry.own) {
      exports0['1'](handleEntry.rep);
    }
  }
  const trampoline4 = rscTableCreateOwn.bind(null, handleTable1);
  function trampoline5(handle) {
    return rscTableGet(handleTable1, handle).rep;
  }
  
  const handleTable2 = [T_FLAG, 0];
  handleTable2._createdReps = new Set();
  handleTable2._componentIdx = 1;
  const finalizationRegistry2 = finalizationRegistryCreate((handle) => {
    const { rep } = rscTableRemove(handleTable2, handle);
    exports0['2'](rep);
  });
  
  HANDLE_TABLES[2] = handleTable2;
  function trampoline6(handle) {
    const handleEntry = rscTableRemove(handleTable2, handle);
    if (handleEntry.own) {
      exports0['2'](handleEntry.rep);
    }
  }
  const trampoline7 = rscTableCreateOwn.bind(null, handleTable2);
  function trampoline8(handle) {
    return rscTableGet(handleTable2, handle).rep;
  }
  
  const handleTable3 = [T_FLAG, 0];
  handleTable3._createdReps = new Set();
  handleTable3._componentIdx = 1;
  const finalizationRegistry3 = finalizationRegistryCreate((handle) => {
    const { rep } = rscTableRemove(handleTable3, handle);
    exports0['3'](rep);
  });
  
  HANDLE_TABLES[3] = handleTable3;
  function trampoline9(handle) {
    const handleEntry = rscTableRemove(handleTable3, handle);
    if (handleEntry.own) {
      exports0['3'](handleEntry.rep);
    }
  }
  const trampoline10 = rscTableCreateOwn.bind(null, handleTable3);
  function trampoline11(handle) {
    return rscTableGet(handleTable3, handle).rep;
  }
  
  const handleTable4 = [T_FLAG, 0];
  handleTable4._createdReps = new Set();
  handleTable4._componentIdx = 1;
  const finalizationRegistry4 = finalizationRegistryCreate((handle) => {
    const { rep } = rscTableRemove(handleTable4, handle);
    exports0['4'](rep);
  });
  
  HANDLE_TABLES[4] = handleTable4;
  function trampoline12(handle) {
    const handleEntry = rscTableRemove(handleTable4, handle);
    if (handleEntry.own) {
      exports0['4'](handleEntry.rep);
    }
  }
  const trampoline13 = rscTableCreateOwn.bind(null, handleTable4);
  function trampoline14(handle) {
    return rscTableGet(handleTable4, handle).rep;
  }
  
  const handleTable5 = [T_FLAG, 0];
  handleTable5._createdReps = new Set();
  handleTable5._componentIdx = 1;
  const finalizationRegistry5 = finalizationRegistryCreate((handle) => {
    const { rep } = rscTableRemove(handleTable5, handle);
    exports0['5'](rep);
  });
  
  HANDLE_TABLES[5] = handleTable5;
  function trampoline15(handle) {
    const handleEntry = rscTableRemove(handleTable5, handle);
    if (handleEntry.own) {
      exports0['5'](handleEntry.rep);
    }
  }
  const trampoline16 = rscTableCreateOwn.bind(null, handleTable5);
  function trampoline17(handle) {
    return rscTableGet(handleTable5, handle).rep;
  }
  
  const handleTable6 = [T_FLAG, 0];
  handleTable6._createdReps = new Set();
  handleTable6._componentIdx = 1;
  const finalizationRegistry6 = finalizationRegistryCreate((handle) => {
    const { rep } = rscTableRemove(handleTable6, handle);
    exports0['6'](rep);
  });
  
  HANDLE_TABLES[6] = handleTable6;
  function trampoline18(handle) {
    const handleEntry = rscTableRemove(handleTable6, handle);
    if (handleEntry.own) {
      exports0['6'](handleEntry.rep);
    }
  }
  const trampoline19 = rscTableCreateOwn.bind(null, handleTable6);
  function trampoline20(handle) {
    return rscTableGet(handleTable6, handle).rep;
  }
  
  const handleTable33 = [T_FLAG, 0];
  handleTable33._createdReps = new Set();
  handleTable33._componentIdx = 23;
  const finalizationRegistry33 = finalizationRegistryCreate((handle) => {
    const { rep } = rscTableRemove(handleTable33, handle);
    exports0['0'](rep);
  });
  
  HANDLE_TABLES[33] = handleTable33;
  function trampoline21(handle) {
    const handleEntry = rscTableRemove(handleTable33, handle);
    if (handleEntry.own) {
      exports0['0'](handleEntry.rep);
    }
  }
  
  const handleTable34 = [T_FLAG, 0];
  handleTable34._createdReps = new Set();
  handleTable34._componentIdx = 23;
  const finalizationRegistry34 = finalizationRegistryCreate((handle) => {
    const { rep } = rscTableRemove(handleTable34, handle);
    exports0['2'](rep);
  });
  
  HANDLE_TABLES[34] = handleTable34;
  function trampoline22(handle) {
    const handleEntry = rscTableRemove(handleTable34, handle);
    if (handleEntry.own) {
      exports0['2'](handleEntry.rep);
    }
  }
  
  const trampoline24 = _symmetricSyncGuestCallEnter;
  
  const trampoline25 = _symmetricSyncGuestCallExit;
  
  const trampoline26 = resourceTransferOwn;
  const trampoline27 = resourceTransferBorrow;
  
  const handleTable35 = [T_FLAG, 0];
  handleTable35._createdReps = new Set();
  handleTable35._componentIdx = 23;
  const finalizationRegistry35 = finalizationRegistryCreate((handle) => {
    const { rep } = rscTableRemove(handleTable35, handle);
    exports0['1'](rep);
  });
  
  HANDLE_TABLES[35] = handleTable35;
  function trampoline32(handle) {
    const handleEntry = rscTableRemove(handleTable35, handle);
    if (handleEntry.own) {
      exports0['1'](handleEntry.rep);
    }
  }
  
  const handleTable36 = [T_FLAG, 0];
  handleTable36._createdReps = new Set();
  handleTable36._componentIdx = 23;
  const finalizationRegistry36 = finalizationRegistryCreate((handle) => {
    const { rep } = rscTableRemove(handleTable36, handle);
    exports0['3'](rep);
  });
  
  HANDLE_TABLES[36] = handleTable36;
  function trampoline33(handle) {
    const handleEntry = rscTableRemove(handleTable36, handle);
    if (handleEntry.own) {
      exports0['3'](handleEntry.rep);
    }
  }
  
  const handleTable37 = [T_FLAG, 0];
  handleTable37._createdReps = new Set();
  handleTable37._componentIdx = 23;
  const finalizationRegistry37 = finalizationRegistryCreate((handle) => {
    const { rep } = rscTableRemove(handleTable37, handle);
    exports0['4'](rep);
  });
  
  HANDLE_TABLES[37] = handleTable37;
  function trampoline34(handle) {
    const handleEntry = rscTableRemove(handleTable37, handle);
    if (handleEntry.own) {
      exports0['4'](handleEntry.rep);
    }
  }
  
  const handleTable38 = [T_FLAG, 0];
  handleTable38._createdReps = new Set();
  handleTable38._componentIdx = 23;
  const finalizationRegistry38 = finalizationRegistryCreate((handle) => {
    const { rep } = rscTableRemove(handleTable38, handle);
    exports0['5'](rep);
  });
  
  HANDLE_TABLES[38] = handleTable38;
  function trampoline35(handle) {
    const handleEntry = rscTableRemove(handleTable38, handle);
    if (handleEntry.own) {
      exports0['5'](handleEntry.rep);
    }
  }
  
  const handleTable39 = [T_FLAG, 0];
  handleTable39._createdReps = new Set();
  handleTable39._componentIdx = 23;
  const finalizationRegistry39 = finalizationRegistryCreate((handle) => {
    const { rep } = rscTableRemove(handleTable39, handle);
    exports0['6'](rep);
  });
  
  HANDLE_TABLES[39] = handleTable39;
  function trampoline36(handle) {
    const handleEntry = rscTableRemove(handleTable39, handle);
    if (handleEntry.own) {
      exports0['6'](handleEntry.rep);
    }
  }
  function trampoline37(handle) {
    const handleEntry = rscTableRemove(handleTable40, handle);
    if (handleEntry.own) {
      exports5['27'](handleEntry.rep);
    }
  }
  const trampoline38 = rscTableCreateOwn.bind(null, handleTable40);
  function trampoline39(handle) {
    return rscTableGet(handleTable40, handle).rep;
  }
  let trampoline44 = _trampoline44.manuallyAsync ? new WebAssembly.Suspending(_suspendingImport(23, _lowerImportBackwardsCompat.bind(
  null,
  {
    trampolineIdx: 44,
    componentIdx: 23,
    isAsync: false,
    isManualAsync: _trampoline44.manuallyAsync,
    paramLiftFns: [
    _liftFlatEnum({
      caseMetas: [['trace', null, 1, 1, 1],['debug', null, 1, 1, 1],['info', null, 1, 1, 1],['warn', null, 1, 1, 1],['error', null, 1, 1, 1],],
      variantSize32: 1,
      variantAlign32: 1,
      variantPayloadOffset32: 1,
      variantFlatCount: 1,
    })
    ,_liftFlatStringAny],
    resultLowerFns: [],
    hasResultPointer: false,
    funcTypeIsAsync: false,
    getCallbackFn: () => null,
    getPostReturnFn: () => null,
    isCancellable: false,
    memoryIdx: 0,
    stringEncoding: 'utf8',
    getMemoryFn: () => memory0,
    getReallocFn: undefined,
    importFn: _trampoline44,
  },
  ))) : _lowerImportBackwardsCompat.bind(
  null,
  {
    trampolineIdx: 44,
    componentIdx: 23,
    isAsync: false,
    isManualAsync: _trampoline44.manuallyAsync,
    paramLiftFns: [
    _liftFlatEnum({
      caseMetas: [['trace', null, 1, 1, 1],['debug', null, 1, 1, 1],['info', null, 1, 1, 1],['warn', null, 1, 1, 1],['error', null, 1, 1, 1],],
      variantSize32: 1,
      variantAlign32: 1,
      variantPayloadOffset32: 1,
      variantFlatCount: 1,
    })
    ,_liftFlatStringAny],
    resultLowerFns: [],
    hasResultPointer: false,
    funcTypeIsAsync: false,
    getCallbackFn: () => null,
    getPostReturnFn: () => null,
    isCancellable: false,
    memoryIdx: 0,
    stringEncoding: 'utf8',
    getMemoryFn: () => memory0,
    getReallocFn: undefined,
    importFn: _trampoline44,
  },
  );
  let trampoline45 = _trampoline45.manuallyAsync ? new WebAssembly.Suspending(_suspendingImport(23, _lowerImportBackwardsCompat.bind(
  null,
  {
    trampolineIdx: 45,
    componentIdx: 23,
    isAsync: false,
    isManualAsync: _trampoline45.manuallyAsync,
    paramLiftFns: [_liftFlatStringAny],
    resultLowerFns: [
    _lowerFlatResult({
      caseMetas: [
      [ 'ok', _lowerFlatList({
        elemLowerFn: _lowerFlatU8,
        elemSize32: 1,
        elemAlign32: 1,
      }), 24, 4, 4 ],
      [ 'err', _lowerFlatRecord({ fieldMetas: [['kind', _lowerFlatStringAny, 8, 4 ],['message', _lowerFlatStringAny, 8, 4 ],['retryable', _lowerFlatBool, 1, 1 ],], size32: 20, align32: 4 }), 24, 4, 4 ],
      ],
      variantSize32: 24,
      variantAlign32: 4,
      variantPayloadOffset32: 4,
      variantFlatCount: 6,
    })
    ],
    hasResultPointer: true,
    funcTypeIsAsync: false,
    getCallbackFn: () => null,
    getPostReturnFn: () => null,
    isCancellable: false,
    memoryIdx: 0,
    stringEncoding: 'utf8',
    getMemoryFn: () => memory0,
    getReallocFn: () => realloc0,
    importFn: _trampoline45,
  },
  ))) : _lowerImportBackwardsCompat.bind(
  null,
  {
    trampolineIdx: 45,
    componentIdx: 23,
    isAsync: false,
    isManualAsync: _trampoline45.manuallyAsync,
    paramLiftFns: [_liftFlatStringAny],
    resultLowerFns: [
    _lowerFlatResult({
      caseMetas: [
      [ 'ok', _lowerFlatList({
        elemLowerFn: _lowerFlatU8,
        elemSize32: 1,
        elemAlign32: 1,
      }), 24, 4, 4 ],
      [ 'err', _lowerFlatRecord({ fieldMetas: [['kind', _lowerFlatStringAny, 8, 4 ],['message', _lowerFlatStringAny, 8, 4 ],['retryable', _lowerFlatBool, 1, 1 ],], size32: 20, align32: 4 }), 24, 4, 4 ],
      ],
      variantSize32: 24,
      variantAlign32: 4,
      variantPayloadOffset32: 4,
      variantFlatCount: 6,
    })
    ],
    hasResultPointer: true,
    funcTypeIsAsync: false,
    getCallbackFn: () => null,
    getPostReturnFn: () => null,
    isCancellable: false,
    memoryIdx: 0,
    stringEncoding: 'utf8',
    getMemoryFn: () => memory0,
    getReallocFn: () => realloc0,
    importFn: _trampoline45,
  },
  );
  let trampoline46 = _trampoline46.manuallyAsync ? new WebAssembly.Suspending(_suspendingImport(23, _lowerImportBackwardsCompat.bind(
  null,
  {
    trampolineIdx: 46,
    componentIdx: 23,
    isAsync: false,
    isManualAsync: _trampoline46.manuallyAsync,
    paramLiftFns: [_liftFlatList({
      elemLiftFn: _liftFlatU8,
      elemAlign32: 1,
      elemSize32: 1,
      typedArray: Uint8Array,
    })],
    resultLowerFns: [
    _lowerFlatResult({
      caseMetas: [
      [ 'ok', _lowerFlatStringAny, 24, 4, 4 ],
      [ 'err', _lowerFlatRecord({ fieldMetas: [['kind', _lowerFlatStringAny, 8, 4 ],['message', _lowerFlatStringAny, 8, 4 ],['retryable', _lowerFlatBool, 1, 1 ],], size32: 20, align32: 4 }), 24, 4, 4 ],
      ],
      variantSize32: 24,
      variantAlign32: 4,
      variantPayloadOffset32: 4,
      variantFlatCount: 6,
    })
    ],
    hasResultPointer: true,
    funcTypeIsAsync: false,
    getCallbackFn: () => null,
    getPostReturnFn: () => null,
    isCancellable: false,
    memoryIdx: 0,
    stringEncoding: 'utf8',
    getMemoryFn: () => memory0,
    getReallocFn: () => realloc0,
    importFn: _trampoline46,
  },
  ))) : _lowerImportBackwardsCompat.bind(
  null,
  {
    trampolineIdx: 46,
    componentIdx: 23,
    isAsync: false,
    isManualAsync: _trampoline46.manuallyAsync,
    paramLiftFns: [_liftFlatList({
      elemLiftFn: _liftFlatU8,
      elemAlign32: 1,
      elemSize32: 1,
      typedArray: Uint8Array,
    })],
    resultLowerFns: [
    _lowerFlatResult({
      caseMetas: [
      [ 'ok', _lowerFlatStringAny, 24, 4, 4 ],
      [ 'err', _lowerFlatRecord({ fieldMetas: [['kind', _lowerFlatStringAny, 8, 4 ],['message', _lowerFlatStringAny, 8, 4 ],['retryable', _lowerFlatBool, 1, 1 ],], size32: 20, align32: 4 }), 24, 4, 4 ],
      ],
      variantSize32: 24,
      variantAlign32: 4,
      variantPayloadOffset32: 4,
      variantFlatCount: 6,
    })
    ],
    hasResultPointer: true,
    funcTypeIsAsync: false,
    getCallbackFn: () => null,
    getPostReturnFn: () => null,
    isCancellable: false,
    memoryIdx: 0,
    stringEncoding: 'utf8',
    getMemoryFn: () => memory0,
    getReallocFn: () => realloc0,
    importFn: _trampoline46,
  },
  );
  let trampoline47 = _trampoline47.manuallyAsync ? new WebAssembly.Suspending(_suspendingImport(23, _lowerImportBackwardsCompat.bind(
  null,
  {
    trampolineIdx: 47,
    componentIdx: 23,
    isAsync: false,
    isManualAsync: _trampoline47.manuallyAsync,
    paramLiftFns: [_liftFlatStringAny,_liftFlatStringAny,_liftFlatList({
      elemLiftFn: _liftFlatU8,
      elemAlign32: 1,
      elemSize32: 1,
      typedArray: Uint8Array,
    }),_liftFlatList({
      elemLiftFn: _liftFlatU8,
      elemAlign32: 1,
      elemSize32: 1,
      typedArray: Uint8Array,
    })],
    resultLowerFns: [
    _lowerFlatResult({
      caseMetas: [
      [ 'ok', _lowerFlatStringAny, 24, 4, 4 ],
      [ 'err', _lowerFlatRecord({ fieldMetas: [['kind', _lowerFlatStringAny, 8, 4 ],['message', _lowerFlatStringAny, 8, 4 ],['retryable', _lowerFlatBool, 1, 1 ],], size32: 20, align32: 4 }), 24, 4, 4 ],
      ],
      variantSize32: 24,
      variantAlign32: 4,
      variantPayloadOffset32: 4,
      variantFlatCount: 6,
    })
    ],
    hasResultPointer: true,
    funcTypeIsAsync: false,
    getCallbackFn: () => null,
    getPostReturnFn: () => null,
    isCancellable: false,
    memoryIdx: 0,
    stringEncoding: 'utf8',
    getMemoryFn: () => memory0,
    getReallocFn: () => realloc0,
    importFn: _trampoline47,
  },
  ))) : _lowerImportBackwardsCompat.bind(
  null,
  {
    trampolineIdx: 47,
    componentIdx: 23,
    isAsync: false,
    isManualAsync: _trampoline47.manuallyAsync,
    paramLiftFns: [_liftFlatStringAny,_liftFlatStringAny,_liftFlatList({
      elemLiftFn: _liftFlatU8,
      elemAlign32: 1,
      elemSize32: 1,
      typedArray: Uint8Array,
    }),_liftFlatList({
      elemLiftFn: _liftFlatU8,
      elemAlign32: 1,
      elemSize32: 1,
      typedArray: Uint8Array,
    })],
    resultLowerFns: [
    _lowerFlatResult({
      caseMetas: [
      [ 'ok', _lowerFlatStringAny, 24, 4, 4 ],
      [ 'err', _lowerFlatRecord({ fieldMetas: [['kind', _lowerFlatStringAny, 8, 4 ],['message', _lowerFlatStringAny, 8, 4 ],['retryable', _lowerFlatBool, 1, 1 ],], size32: 20, align32: 4 }), 24, 4, 4 ],
      ],
      variantSize32: 24,
      variantAlign32: 4,
      variantPayloadOffset32: 4,
      variantFlatCount: 6,
    })
    ],
    hasResultPointer: true,
    funcTypeIsAsync: false,
    getCallbackFn: () => null,
    getPostReturnFn: () => null,
    isCancellable: false,
    memoryIdx: 0,
    stringEncoding: 'utf8',
    getMemoryFn: () => memory0,
    getReallocFn: () => realloc0,
    importFn: _trampoline47,
  },
  );
  let trampoline48 = _trampoline48.manuallyAsync ? new WebAssembly.Suspending(_suspendingImport(23, _lowerImportBackwardsCompat.bind(
  null,
  {
    trampolineIdx: 48,
    componentIdx: 23,
    isAsync: false,
    isManualAsync: _trampoline48.manuallyAsync,
    paramLiftFns: [_liftFlatStringAny,
    _liftFlatOption({
      caseMetas: [
      ['none', null, 0, 0, 0, [] ],
      ['some', _liftFlatU32, 4, 4, 1, ['i32'] ],
      ],
      variantSize32: 8,
      variantAlign32: 4,
      variantPayloadOffset32: 4,
      variantFlatCount: 2,
      variantPayloadFlatTypes: ['i32'],
      payloadMaybeNull: false,
    })
    ],
    resultLowerFns: [
    _lowerFlatResult({
      caseMetas: [
      [ 'ok', _lowerFlatList({
        elemLowerFn: _lowerFlatU8,
        elemSize32: 1,
        elemAlign32: 1,
      }), 24, 4, 4 ],
      [ 'err', _lowerFlatRecord({ fieldMetas: [['kind', _lowerFlatStringAny, 8, 4 ],['message', _lowerFlatStringAny, 8, 4 ],['retryable', _lowerFlatBool, 1, 1 ],], size32: 20, align32: 4 }), 24, 4, 4 ],
      ],
      variantSize32: 24,
      variantAlign32: 4,
      variantPayloadOffset32: 4,
      variantFlatCount: 6,
    })
    ],
    hasResultPointer: true,
    funcTypeIsAsync: false,
    getCallbackFn: () => null,
    getPostReturnFn: () => null,
    isCancellable: false,
    memoryIdx: 0,
    stringEncoding: 'utf8',
    getMemoryFn: () => memory0,
    getReallocFn: () => realloc0,
    importFn: _trampoline48,
  },
  ))) : _lowerImportBackwardsCompat.bind(
  null,
  {
    trampolineIdx: 48,
    componentIdx: 23,
    isAsync: false,
    isManualAsync: _trampoline48.manuallyAsync,
    paramLiftFns: [_liftFlatStringAny,
    _liftFlatOption({
      caseMetas: [
      ['none', null, 0, 0, 0, [] ],
      ['some', _liftFlatU32, 4, 4, 1, ['i32'] ],
      ],
      variantSize32: 8,
      variantAlign32: 4,
      variantPayloadOffset32: 4,
      variantFlatCount: 2,
      variantPayloadFlatTypes: ['i32'],
      payloadMaybeNull: false,
    })
    ],
    resultLowerFns: [
    _lowerFlatResult({
      caseMetas: [
      [ 'ok', _lowerFlatList({
        elemLowerFn: _lowerFlatU8,
        elemSize32: 1,
        elemAlign32: 1,
      }), 24, 4, 4 ],
      [ 'err', _lowerFlatRecord({ fieldMetas: [['kind', _lowerFlatStringAny, 8, 4 ],['message', _lowerFlatStringAny, 8, 4 ],['retryable', _lowerFlatBool, 1, 1 ],], size32: 20, align32: 4 }), 24, 4, 4 ],
      ],
      variantSize32: 24,
      variantAlign32: 4,
      variantPayloadOffset32: 4,
      variantFlatCount: 6,
    })
    ],
    hasResultPointer: true,
    funcTypeIsAsync: false,
    getCallbackFn: () => null,
    getPostReturnFn: () => null,
    isCancellable: false,
    memoryIdx: 0,
    stringEncoding: 'utf8',
    getMemoryFn: () => memory0,
    getReallocFn: () => realloc0,
    importFn: _trampoline48,
  },
  );
  let trampoline49 = _trampoline49.manuallyAsync ? new WebAssembly.Suspending(_suspendingImport(23, _lowerImportBackwardsCompat.bind(
  null,
  {
    trampolineIdx: 49,
    componentIdx: 23,
    isAsync: false,
    isManualAsync: _trampoline49.manuallyAsync,
    paramLiftFns: [_liftFlatList({
      elemLiftFn: _liftFlatStringAny,
      elemAlign32: 4,
      elemSize32: 8,
      typedArray: undefined,
    }),_liftFlatU32,
    _liftFlatOption({
      caseMetas: [
      ['none', null, 0, 0, 0, [] ],
      ['some', _liftFlatU32, 4, 4, 1, ['i32'] ],
      ],
      variantSize32: 8,
      variantAlign32: 4,
      variantPayloadOffset32: 4,
      variantFlatCount: 2,
      variantPayloadFlatTypes: ['i32'],
      payloadMaybeNull: false,
    })
    ],
    resultLowerFns: [
    _lowerFlatResult({
      caseMetas: [
      [ 'ok', _lowerFlatList({
        elemLowerFn: _lowerFlatStringAny,
        elemSize32: 8,
        elemAlign32: 4,
      }), 24, 4, 4 ],
      [ 'err', _lowerFlatRecord({ fieldMetas: [['kind', _lowerFlatStringAny, 8, 4 ],['message', _lowerFlatStringAny, 8, 4 ],['retryable', _lowerFlatBool, 1, 1 ],], size32: 20, align32: 4 }), 24, 4, 4 ],
      ],
      variantSize32: 24,
      variantAlign32: 4,
      variantPayloadOffset32: 4,
      variantFlatCount: 6,
    })
    ],
    hasResultPointer: true,
    funcTypeIsAsync: false,
    getCallbackFn: () => null,
    getPostReturnFn: () => null,
    isCancellable: false,
    memoryIdx: 0,
    stringEncoding: 'utf8',
    getMemoryFn: () => memory0,
    getReallocFn: () => realloc0,
    importFn: _trampoline49,
  },
  ))) : _lowerImportBackwardsCompat.bind(
  null,
  {
    trampolineIdx: 49,
    componentIdx: 23,
    isAsync: false,
    isManualAsync: _trampoline49.manuallyAsync,
    paramLiftFns: [_liftFlatList({
      elemLiftFn: _liftFlatStringAny,
      elemAlign32: 4,
      elemSize32: 8,
      typedArray: undefined,
    }),_liftFlatU32,
    _liftFlatOption({
      caseMetas: [
      ['none', null, 0, 0, 0, [] ],
      ['some', _liftFlatU32, 4, 4, 1, ['i32'] ],
      ],
      variantSize32: 8,
      variantAlign32: 4,
      variantPayloadOffset32: 4,
      variantFlatCount: 2,
      variantPayloadFlatTypes: ['i32'],
      payloadMaybeNull: false,
    })
    ],
    resultLowerFns: [
    _lowerFlatResult({
      caseMetas: [
      [ 'ok', _lowerFlatList({
        elemLowerFn: _lowerFlatStringAny,
        elemSize32: 8,
        elemAlign32: 4,
      }), 24, 4, 4 ],
      [ 'err', _lowerFlatRecord({ fieldMetas: [['kind', _lowerFlatStringAny, 8, 4 ],['message', _lowerFlatStringAny, 8, 4 ],['retryable', _lowerFlatBool, 1, 1 ],], size32: 20, align32: 4 }), 24, 4, 4 ],
      ],
      variantSize32: 24,
      variantAlign32: 4,
      variantPayloadOffset32: 4,
      variantFlatCount: 6,
    })
    ],
    hasResultPointer: true,
    funcTypeIsAsync: false,
    getCallbackFn: () => null,
    getPostReturnFn: () => null,
    isCancellable: false,
    memoryIdx: 0,
    stringEncoding: 'utf8',
    getMemoryFn: () => memory0,
    getReallocFn: () => realloc0,
    importFn: _trampoline49,
  },
  );
  ({ exports: exports0 } = instantiateCore(module9));
  ({ exports: exports1 } = instantiateCore(module8, {
    'cm32p2|_ex_wasi:cli/terminal-input@0.2': {
      'terminal-input_drop': Object.assign(_guardMayLeave(1, trampoline12), { _jcoMaySuspend: false }),
      'terminal-input_new': Object.assign(_guardMayLeave(1, trampoline13), { _jcoMaySuspend: false }),
      'terminal-input_rep': Object.assign(trampoline14, { _jcoMaySuspend: false }),
    },
    'cm32p2|_ex_wasi:cli/terminal-output@0.2': {
      'terminal-output_drop': Object.assign(_guardMayLeave(1, trampoline15), { _jcoMaySuspend: false }),
      'terminal-output_new': Object.assign(_guardMayLeave(1, trampoline16), { _jcoMaySuspend: false }),
      'terminal-output_rep': Object.assign(trampoline17, { _jcoMaySuspend: false }),
    },
    'cm32p2|_ex_wasi:filesystem/types@0.2': {
      descriptor_drop: Object.assign(_guardMayLeave(1, trampoline18), { _jcoMaySuspend: false }),
      descriptor_new: Object.assign(_guardMayLeave(1, trampoline19), { _jcoMaySuspend: false }),
      descriptor_rep: Object.assign(trampoline20, { _jcoMaySuspend: false }),
    },
    'cm32p2|_ex_wasi:io/error@0.2': {
      error_drop: Object.assign(_guardMayLeave(1, trampoline0), { _jcoMaySuspend: false }),
      error_new: Object.assign(_guardMayLeave(1, trampoline1), { _jcoMaySuspend: false }),
      error_rep: Object.assign(trampoline2, { _jcoMaySuspend: false }),
    },
    'cm32p2|_ex_wasi:io/poll@0.2': {
      pollable_drop: Object.assign(_guardMayLeave(1, trampoline3), { _jcoMaySuspend: false }),
      pollable_new: Object.assign(_guardMayLeave(1, trampoline4), { _jcoMaySuspend: false }),
      pollable_rep: Object.assign(trampoline5, { _jcoMaySuspend: false }),
    },
    'cm32p2|_ex_wasi:io/streams@0.2': {
      'input-stream_drop': Object.assign(_guardMayLeave(1, trampoline9), { _jcoMaySuspend: false }),
      'input-stream_new': Object.assign(_guardMayLeave(1, trampoline10), { _jcoMaySuspend: false }),
      'input-stream_rep': Object.assign(trampoline11, { _jcoMaySuspend: false }),
      'output-stream_drop': Object.assign(_guardMayLeave(1, trampoline6), { _jcoMaySuspend: false }),
      'output-stream_new': Object.assign(_guardMayLeave(1, trampoline7), { _jcoMaySuspend: false }),
      'output-stream_rep': Object.assign(trampoline8, { _jcoMaySuspend: false }),
    },
  }));
  ({ exports: exports2 } = instantiateCore(module10, {
    actual: {
      '0': Object.assign(exports1['cm32p2|wasi:io/error@0.2|error_dtor'], { _jcoMaySuspend: false }),
      '1': Object.assign(exports1['cm32p2|wasi:io/poll@0.2|pollable_dtor'], { _jcoMaySuspend: false }),
      '2': Object.assign(exports1['cm32p2|wasi:io/streams@0.2|output-stream_dtor'], { _jcoMaySuspend: false }),
      '3': Object.assign(exports1['cm32p2|wasi:io/streams@0.2|input-stream_dtor'], { _jcoMaySuspend: false }),
      '4': Object.assign(exports1['cm32p2|wasi:cli/terminal-input@0.2|terminal-input_dtor'], { _jcoMaySuspend: false }),
      '5': Object.assign(exports1['cm32p2|wasi:cli/terminal-output@0.2|terminal-output_dtor'], { _jcoMaySuspend: false }),
      '6': Object.assign(exports1['cm32p2|wasi:filesystem/types@0.2|descriptor_dtor'], { _jcoMaySuspend: false }),
    },
    main: {
      cm32p2_initialize: Object.assign(exports1.cm32p2_initialize, { _jcoMaySuspend: false }),
    },
    shim: {
      $imports: exports0.$imports,
    },
  }));
  ({ exports: exports3 } = instantiateCore(module6));
  ({ exports: exports4 } = instantiateCore(module7, {
    main: {
      cm32p2_initialize: Object.assign(exports3.cm32p2_initialize, { _jcoMaySuspend: false }),
    },
  }));
  ({ exports: exports5 } = instantiateCore(module4));
  ({ exports: exports6 } = instantiateCore(module0, {
    wasi_snapshot_preview1: {
      reset_adapter_state: Object.assign(exports5['0'], { _jcoMaySuspend: false }),
    },
  }));
  ({ exports: exports7 } = instantiateCore(module11, {
    async: {
      'enter-sync-call': Object.assign(trampoline24, { _jcoMaySuspend: false }),
      'exit-sync-call': Object.assign(trampoline25, { _jcoMaySuspend: false }),
    },
    augments: {
      'mem1 I32Load8U': (ptr, off) => new DataView(exports6.memory.buffer).getUint8(ptr + off, true),
      'mem1 I32Store': (ptr, val, offset) => {
        new DataView(exports6.memory.buffer).setInt32(ptr + offset, val, true);
      },
      'mem1 I32Store8': (ptr, val, offset) => {
        new DataView(exports6.memory.buffer).setInt8(ptr + offset, val, true);
      },
      'mem1 MemorySize': ptr => exports6.memory.buffer.byteLength / 65536,
    },
    callee: {
      adapter0: Object.assign(exports1['cm32p2|wasi:cli/stderr@0.2|get-stderr'], { _jcoMaySuspend: false }),
      adapter1: Object.assign(exports1['cm32p2|wasi:io/poll@0.2|[method]pollable.block'], { _jcoMaySuspend: false }),
      adapter2: Object.assign(exports1['cm32p2|wasi:io/streams@0.2|[method]output-stream.subscribe'], { _jcoMaySuspend: false }),
      adapter3: Object.assign(exports1['cm32p2|wasi:cli/exit@0.2|exit'], { _jcoMaySuspend: false }),
      adapter4: Object.assign(exports1['cm32p2|wasi:cli/stdin@0.2|get-stdin'], { _jcoMaySuspend: false }),
      adapter5: Object.assign(exports1['cm32p2|wasi:cli/stdout@0.2|get-stdout'], { _jcoMaySuspend: false }),
      adapter6: Object.assign(exports1['cm32p2|wasi:clocks/monotonic-clock@0.2|now'], { _jcoMaySuspend: false }),
      adapter7: Object.assign(exports1['cm32p2|wasi:clocks/monotonic-clock@0.2|subscribe-duration'], { _jcoMaySuspend: false }),
      adapter8: Object.assign(exports1['cm32p2|wasi:io/streams@0.2|[method]output-stream.blocking-write-and-flush'], { _jcoMaySuspend: false }),
    },
    context: {
      get0: contextGet.bind(null, { slot: 0 }),
      get1: contextGet.bind(null, { slot: 1 }),
      set0: contextSet.bind(null, { slot: 0 }),
      set1: contextSet.bind(null, { slot: 1 }),
    },
    flags: {
      instance1: instanceFlags1,
      instance23: instanceFlags23,
    },
    memory: {
      m0: exports1.cm32p2_memory,
    },
    post_return: {
      adapter0: Object.assign(exports1['cm32p2|wasi:cli/stderr@0.2|get-stderr_post'], { _jcoMaySuspend: false }),
      adapter1: Object.assign(exports1['cm32p2|wasi:io/poll@0.2|[method]pollable.block_post'], { _jcoMaySuspend: false }),
      adapter2: Object.assign(exports1['cm32p2|wasi:io/streams@0.2|[method]output-stream.subscribe_post'], { _jcoMaySuspend: false }),
      adapter3: Object.assign(exports1['cm32p2|wasi:cli/exit@0.2|exit_post'], { _jcoMaySuspend: false }),
      adapter4: Object.assign(exports1['cm32p2|wasi:cli/stdin@0.2|get-stdin_post'], { _jcoMaySuspend: false }),
      adapter5: Object.assign(exports1['cm32p2|wasi:cli/stdout@0.2|get-stdout_post'], { _jcoMaySuspend: false }),
      adapter6: Object.assign(exports1['cm32p2|wasi:clocks/monotonic-clock@0.2|now_post'], { _jcoMaySuspend: false }),
      adapter7: Object.assign(exports1['cm32p2|wasi:clocks/monotonic-clock@0.2|subscribe-duration_post'], { _jcoMaySuspend: false }),
      adapter8: Object.assign(exports1['cm32p2|wasi:io/streams@0.2|[method]output-stream.blocking-write-and-flush_post'], { _jcoMaySuspend: false }),
    },
    realloc: {
      f26: Object.assign(exports1.cm32p2_realloc, { _jcoMaySuspend: false }),
    },
    resource: {
      'transfer-borrow': Object.assign(trampoline27, { _jcoMaySuspend: false }),
      'transfer-own': Object.assign(trampoline26, { _jcoMaySuspend: false }),
    },
    runtime: {
      trap1: Object.assign(trampoline31, { _jcoMaySuspend: false }),
      trap23: Object.assign(trampoline23, { _jcoMaySuspend: false }),
      trap31: Object.assign(trampoline29, { _jcoMaySuspend: false }),
      trap32: Object.assign(trampoline28, { _jcoMaySuspend: false }),
      trap33: Object.assign(trampoline30, { _jcoMaySuspend: false }),
    },
  }));
  ({ exports: exports8 } = instantiateCore(module1, {
    __main_module__: {
      cabi_realloc: Object.assign(exports6.cabi_realloc, { _jcoMaySuspend: false }),
    },
    env: {
      memory: exports6.memory,
    },
    'wasi:cli/stderr@0.2.12': {
      'get-stderr': Object.assign(exports7.adapter0, { _jcoMaySuspend: false }),
    },
    'wasi:io/error@0.2.12': {
      '[resource-drop]error': Object.assign(_guardMayLeave(23, trampoline21), { _jcoMaySuspend: false }),
    },
    'wasi:io/streams@0.2.12': {
      '[method]output-stream.blocking-write-and-flush': Object.assign(exports5['1'], { _jcoMaySuspend: false }),
      '[resource-drop]output-stream': Object.assign(_guardMayLeave(23, trampoline22), { _jcoMaySuspend: false }),
    },
  }));
  ({ exports: exports9 } = instantiateCore(module2, {
    'GOT.func': {
      cabi_realloc: exports6['componentize_qjs_runtime.wasm:cabi_realloc'],
    },
    'GOT.mem': {
      __heap_base: exports6.__heap_base,
      __heap_end: exports6.__heap_end,
    },
    env: {
      __indirect_function_table: exports6.__indirect_function_table,
      __memory_base: exports6['componentize_qjs_runtime.wasm:memory_base'],
      __stack_pointer: exports6.__stack_pointer,
      __table_base: exports6['componentize_qjs_runtime.wasm:table_base'],
      memory: exports6.memory,
    },
    'local:init/module-loader': {
      load: Object.assign(exports5['3'], { _jcoMaySuspend: false }),
      resolve: Object.assign(exports5['2'], { _jcoMaySuspend: false }),
    },
    'wasi:cli/environment@0.2.0': {
      'get-environment': Object.assign(exports5['15'], { _jcoMaySuspend: false }),
    },
    'wasi:cli/exit@0.2.0': {
      exit: Object.assign(exports7.adapter3, { _jcoMaySuspend: false }),
    },
    'wasi:cli/stderr@0.2.0': {
      'get-stderr': Object.assign(exports7.adapter0, { _jcoMaySuspend: false }),
    },
    'wasi:cli/stdin@0.2.0': {
      'get-stdin': Object.assign(exports7.adapter4, { _jcoMaySuspend: false }),
    },
    'wasi:cli/stdout@0.2.0': {
      'get-stdout': Object.assign(exports7.adapter5, { _jcoMaySuspend: false }),
    },
    'wasi:cli/terminal-input@0.2.0': {
      '[resource-drop]terminal-input': Object.assign(_guardMayLeave(23, trampoline34), { _jcoMaySuspend: false }),
    },
    'wasi:cli/terminal-output@0.2.0': {
      '[resource-drop]terminal-output': Object.assign(_guardMayLeave(23, trampoline35), { _jcoMaySuspend: false }),
    },
    'wasi:cli/terminal-stderr@0.2.0': {
      'get-terminal-stderr': Object.assign(exports5['18'], { _jcoMaySuspend: false }),
    },
    'wasi:cli/terminal-stdin@0.2.0': {
      'get-terminal-stdin': Object.assign(exports5['16'], { _jcoMaySuspend: false }),
    },
    'wasi:cli/terminal-stdout@0.2.0': {
      'get-terminal-stdout': Object.assign(exports5['17'], { _jcoMaySuspend: false }),
    },
    'wasi:clocks/monotonic-clock@0.2.0': {
      now: Object.assign(exports7.adapter6, { _jcoMaySuspend: false }),
      'subscribe-duration': Object.assign(exports7.adapter7, { _jcoMaySuspend: false }),
    },
    'wasi:clocks/wall-clock@0.2.0': {
      now: Object.assign(exports5['19'], { _jcoMaySuspend: false }),
    },
    'wasi:filesystem/preopens@0.2.0': {
      'get-directories': Object.assign(exports5['20'], { _jcoMaySuspend: false }),
    },
    'wasi:filesystem/types@0.2.0': {
      '[method]descriptor.append-via-stream': Object.assign(exports5['11'], { _jcoMaySuspend: false }),
      '[method]descriptor.get-flags': Object.assign(exports5['12'], { _jcoMaySuspend: false }),
      '[method]descriptor.metadata-hash': Object.assign(exports5['14'], { _jcoMaySuspend: false }),
      '[method]descriptor.read-via-stream': Object.assign(exports5['9'], { _jcoMaySuspend: false }),
      '[method]descriptor.stat': Object.assign(exports5['13'], { _jcoMaySuspend: false }),
      '[method]descriptor.write-via-stream': Object.assign(exports5['10'], { _jcoMaySuspend: false }),
      '[resource-drop]descriptor': Object.assign(_guardMayLeave(23, trampoline36), { _jcoMaySuspend: false }),
    },
    'wasi:io/error@0.2.0': {
      '[resource-drop]error': Object.assign(_guardMayLeave(23, trampoline21), { _jcoMaySuspend: false }),
    },
    'wasi:io/poll@0.2.0': {
      '[method]pollable.block': Object.assign(exports7.adapter1, { _jcoMaySuspend: false }),
      '[resource-drop]pollable': Object.assign(_guardMayLeave(23, trampoline32), { _jcoMaySuspend: false }),
      poll: Object.assign(exports5['5'], { _jcoMaySuspend: false }),
    },
    'wasi:io/streams@0.2.0': {
      '[method]output-stream.blocking-flush': Object.assign(exports5['8'], { _jcoMaySuspend: false }),
      '[method]output-stream.check-write': Object.assign(exports5['6'], { _jcoMaySuspend: false }),
      '[method]output-stream.subscribe': Object.assign(exports7.adapter2, { _jcoMaySuspend: false }),
      '[method]output-stream.write': Object.assign(exports5['7'], { _jcoMaySuspend: false }),
      '[resource-drop]input-stream': Object.assign(_guardMayLeave(23, trampoline33), { _jcoMaySuspend: false }),
      '[resource-drop]output-stream': Object.assign(_guardMayLeave(23, trampoline22), { _jcoMaySuspend: false }),
    },
    'wasi:random/insecure-seed@0.2.9': {
      'insecure-seed': Object.assign(exports5['4'], { _jcoMaySuspend: false }),
    },
    wasi_snapshot_preview1: {
      reset_adapter_state: Object.assign(exports6['wasi_snapshot_preview1:reset_adapter_state'], { _jcoMaySuspend: false }),
    },
  }));
  ({ exports: exports10 } = instantiateCore(module3, {
    '[export]fabric:core/guest@0.1.0': {
      '[resource-drop]actor': Object.assign(_guardMayLeave(23, trampoline37), { _jcoMaySuspend: false }),
      '[resource-new]actor': Object.assign(_guardMayLeave(23, trampoline38), { _jcoMaySuspend: false }),
      '[resource-rep]actor': Object.assign(trampoline39, { _jcoMaySuspend: false }),
    },
    env: {
      __indirect_function_table: exports6.__indirect_function_table,
      __memory_base: exports6['wit-dylib.wasm:memory_base'],
      __stack_pointer: exports6.__stack_pointer,
      __table_base: exports6['wit-dylib.wasm:table_base'],
      cabi_realloc: Object.assign(exports9.cabi_realloc, { _jcoMaySuspend: false }),
      memory: exports6.memory,
      wit_dylib_dealloc_bytes: Object.assign(exports9.wit_dylib_dealloc_bytes, { _jcoMaySuspend: false }),
      wit_dylib_export_async_call: Object.assign(exports9.wit_dylib_export_async_call, { _jcoMaySuspend: false }),
      wit_dylib_export_async_callback: Object.assign(exports9.wit_dylib_export_async_callback, { _jcoMaySuspend: false }),
      wit_dylib_export_call: Object.assign(exports9.wit_dylib_export_call, { _jcoMaySuspend: false }),
      wit_dylib_export_finish: Object.assign(exports9.wit_dylib_export_finish, { _jcoMaySuspend: false }),
      wit_dylib_export_start: Object.assign(exports9.wit_dylib_export_start, { _jcoMaySuspend: false }),
      wit_dylib_initialize: Object.assign(exports9.wit_dylib_initialize, { _jcoMaySuspend: false }),
      wit_dylib_list_append: Object.assign(exports9.wit_dylib_list_append, { _jcoMaySuspend: false }),
      wit_dylib_map_append: Object.assign(exports9.wit_dylib_map_append, { _jcoMaySuspend: false }),
      wit_dylib_pop_bool: Object.assign(exports9.wit_dylib_pop_bool, { _jcoMaySuspend: false }),
      wit_dylib_pop_borrow: Object.assign(exports9.wit_dylib_pop_borrow, { _jcoMaySuspend: false }),
      wit_dylib_pop_char: Object.assign(exports9.wit_dylib_pop_char, { _jcoMaySuspend: false }),
      wit_dylib_pop_enum: Object.assign(exports9.wit_dylib_pop_enum, { _jcoMaySuspend: false }),
      wit_dylib_pop_f32: Object.assign(exports9.wit_dylib_pop_f32, { _jcoMaySuspend: false }),
      wit_dylib_pop_f64: Object.assign(exports9.wit_dylib_pop_f64, { _jcoMaySuspend: false }),
      wit_dylib_pop_flags: Object.assign(exports9.wit_dylib_pop_flags, { _jcoMaySuspend: false }),
      wit_dylib_pop_future: Object.assign(exports9.wit_dylib_pop_future, { _jcoMaySuspend: false }),
      wit_dylib_pop_list: Object.assign(exports9.wit_dylib_pop_list, { _jcoMaySuspend: false }),
      wit_dylib_pop_list_iter: Object.assign(exports9.wit_dylib_pop_list_iter, { _jcoMaySuspend: false }),
      wit_dylib_pop_list_iter_next: Object.assign(exports9.wit_dylib_pop_list_iter_next, { _jcoMaySuspend: false }),
      wit_dylib_pop_map: Object.assign(exports9.wit_dylib_pop_map, { _jcoMaySuspend: false }),
      wit_dylib_pop_map_iter: Object.assign(exports9.wit_dylib_pop_map_iter, { _jcoMaySuspend: false }),
      wit_dylib_pop_map_iter_next: Object.assign(exports9.wit_dylib_pop_map_iter_next, { _jcoMaySuspend: false }),
      wit_dylib_pop_option: Object.assign(exports9.wit_dylib_pop_option, { _jcoMaySuspend: false }),
      wit_dylib_pop_own: Object.assign(exports9.wit_dylib_pop_own, { _jcoMaySuspend: false }),
      wit_dylib_pop_record: Object.assign(exports9.wit_dylib_pop_record, { _jcoMaySuspend: false }),
      wit_dylib_pop_result: Object.assign(exports9.wit_dylib_pop_result, { _jcoMaySuspend: false }),
      wit_dylib_pop_s16: Object.assign(exports9.wit_dylib_pop_s16, { _jcoMaySuspend: false }),
      wit_dylib_pop_s32: Object.assign(exports9.wit_dylib_pop_s32, { _jcoMaySuspend: false }),
      wit_dylib_pop_s64: Object.assign(exports9.wit_dylib_pop_s64, { _jcoMaySuspend: false }),
      wit_dylib_pop_s8: Object.assign(exports9.wit_dylib_pop_s8, { _jcoMaySuspend: false }),
      wit_dylib_pop_stream: Object.assign(exports9.wit_dylib_pop_stream, { _jcoMaySuspend: false }),
      wit_dylib_pop_string: Object.assign(exports9.wit_dylib_pop_string, { _jcoMaySuspend: false }),
      wit_dylib_pop_tuple: Object.assign(exports9.wit_dylib_pop_tuple, { _jcoMaySuspend: false }),
      wit_dylib_pop_u16: Object.assign(exports9.wit_dylib_pop_u16, { _jcoMaySuspend: false }),
      wit_dylib_pop_u32: Object.assign(exports9.wit_dylib_pop_u32, { _jcoMaySuspend: false }),
      wit_dylib_pop_u64: Object.assign(exports9.wit_dylib_pop_u64, { _jcoMaySuspend: false }),
      wit_dylib_pop_u8: Object.assign(exports9.wit_dylib_pop_u8, { _jcoMaySuspend: false }),
      wit_dylib_pop_variant: Object.assign(exports9.wit_dylib_pop_variant, { _jcoMaySuspend: false }),
      wit_dylib_push_bool: Object.assign(exports9.wit_dylib_push_bool, { _jcoMaySuspend: false }),
      wit_dylib_push_borrow: Object.assign(exports9.wit_dylib_push_borrow, { _jcoMaySuspend: false }),
      wit_dylib_push_char: Object.assign(exports9.wit_dylib_push_char, { _jcoMaySuspend: false }),
      wit_dylib_push_enum: Object.assign(exports9.wit_dylib_push_enum, { _jcoMaySuspend: false }),
      wit_dylib_push_f32: Object.assign(exports9.wit_dylib_push_f32, { _jcoMaySuspend: false }),
      wit_dylib_push_f64: Object.assign(exports9.wit_dylib_push_f64, { _jcoMaySuspend: false }),
      wit_dylib_push_flags: Object.assign(exports9.wit_dylib_push_flags, { _jcoMaySuspend: false }),
      wit_dylib_push_future: Object.assign(exports9.wit_dylib_push_future, { _jcoMaySuspend: false }),
      wit_dylib_push_list: Object.assign(exports9.wit_dylib_push_list, { _jcoMaySuspend: false }),
      wit_dylib_push_map: Object.assign(exports9.wit_dylib_push_map, { _jcoMaySuspend: false }),
      wit_dylib_push_option: Object.assign(exports9.wit_dylib_push_option, { _jcoMaySuspend: false }),
      wit_dylib_push_own: Object.assign(exports9.wit_dylib_push_own, { _jcoMaySuspend: false }),
      wit_dylib_push_record: Object.assign(exports9.wit_dylib_push_record, { _jcoMaySuspend: false }),
      wit_dylib_push_result: Object.assign(exports9.wit_dylib_push_result, { _jcoMaySuspend: false }),
      wit_dylib_push_s16: Object.assign(exports9.wit_dylib_push_s16, { _jcoMaySuspend: false }),
      wit_dylib_push_s32: Object.assign(exports9.wit_dylib_push_s16, { _jcoMaySuspend: false }),
      wit_dylib_push_s64: Object.assign(exports9.wit_dylib_push_s64, { _jcoMaySuspend: false }),
      wit_dylib_push_s8: Object.assign(exports9.wit_dylib_push_s16, { _jcoMaySuspend: false }),
      wit_dylib_push_stream: Object.assign(exports9.wit_dylib_push_stream, { _jcoMaySuspend: false }),
      wit_dylib_push_string: Object.assign(exports9.wit_dylib_push_string, { _jcoMaySuspend: false }),
      wit_dylib_push_tuple: Object.assign(exports9.wit_dylib_push_tuple, { _jcoMaySuspend: false }),
      wit_dylib_push_u16: Object.assign(exports9.wit_dylib_push_s16, { _jcoMaySuspend: false }),
      wit_dylib_push_u32: Object.assign(exports9.wit_dylib_push_s16, { _jcoMaySuspend: false }),
      wit_dylib_push_u64: Object.assign(exports9.wit_dylib_push_u64, { _jcoMaySuspend: false }),
      wit_dylib_push_u8: Object.assign(exports9.wit_dylib_push_s16, { _jcoMaySuspend: false }),
      wit_dylib_push_variant: Object.assign(exports9.wit_dylib_push_variant, { _jcoMaySuspend: false }),
      wit_dylib_resource_dtor: Object.assign(exports9.wit_dylib_resource_dtor, { _jcoMaySuspend: false }),
    },
    'fabric:core/log@0.1.0': {
      log: Object.assign(exports5['21'], { _jcoMaySuspend: false }),
    },
    'fabric:core/objects@0.1.0': {
      get: Object.assign(exports5['22'], { _jcoMaySuspend: false }),
      put: Object.assign(exports5['23'], { _jcoMaySuspend: false }),
    },
    'fabric:core/tasks@0.1.0': {
      get: Object.assign(exports5['25'], { _jcoMaySuspend: false }),
      submit: Object.assign(exports5['24'], { _jcoMaySuspend: false }),
      wait: Object.assign(exports5['26'], { _jcoMaySuspend: false }),
    },
  }));
  memory0 = exports6.memory;
  memory1 = exports3.cm32p2_memory;
  memory2 = exports1.cm32p2_memory;
  ({ exports: exports11 } = instantiateCore(module12, {
    async: {
      'enter-sync-call': Object.assign(trampoline24, { _jcoMaySuspend: false }),
      'exit-sync-call': Object.assign(trampoline25, { _jcoMaySuspend: false }),
    },
    augments: {
      'mem1 I32Load': (ptr, off) => new DataView(exports6.memory.buffer).getInt32(ptr + off, true),
      'mem1 I32Load8U': (ptr, off) => new DataView(exports6.memory.buffer).getUint8(ptr + off, true),
      'mem1 I32Store': (ptr, val, offset) => {
        new DataView(exports6.memory.buffer).setInt32(ptr + offset, val, true);
      },
      'mem1 I32Store8': (ptr, val, offset) => {
        new DataView(exports6.memory.buffer).setInt8(ptr + offset, val, true);
      },
      'mem1 I64Store': (ptr, val, offset) => {
        new DataView(exports6.memory.buffer).setBigInt64(ptr + offset, val, true);
      },
      'mem1 MemorySize': ptr => exports6.memory.buffer.byteLength / 65536,
      'mem2 I32Load': (ptr, off) => new DataView(exports1.cm32p2_memory.buffer).getInt32(ptr + off, true),
      'mem2 I32Load8U': (ptr, off) => new DataView(exports1.cm32p2_memory.buffer).getUint8(ptr + off, true),
      'mem2 I32Store': (ptr, val, offset) => {
        new DataView(exports1.cm32p2_memory.buffer).setInt32(ptr + offset, val, true);
      },
      'mem2 I32Store8': (ptr, val, offset) => {
        new DataView(exports1.cm32p2_memory.buffer).setInt8(ptr + offset, val, true);
      },
      'mem2 I64Load': (ptr, off) => new DataView(exports1.cm32p2_memory.buffer).getBigInt64(ptr + off, true),
      'mem2 MemorySize': ptr => exports1.cm32p2_memory.buffer.byteLength / 65536,
    },
    callee: {
      adapter10: Object.assign(exports3['cm32p2|local:init/module-loader|load'], { _jcoMaySuspend: false }),
      adapter11: Object.assign(exports1['cm32p2|wasi:random/insecure-seed@0.2|insecure-seed'], { _jcoMaySuspend: false }),
      adapter12: Object.assign(exports1['cm32p2|wasi:io/poll@0.2|poll'], { _jcoMaySuspend: false }),
      adapter13: Object.assign(exports1['cm32p2|wasi:io/streams@0.2|[method]output-stream.check-write'], { _jcoMaySuspend: false }),
      adapter14: Object.assign(exports1['cm32p2|wasi:io/streams@0.2|[method]output-stream.write'], { _jcoMaySuspend: false }),
      adapter15: Object.assign(exports1['cm32p2|wasi:io/streams@0.2|[method]output-stream.blocking-flush'], { _jcoMaySuspend: false }),
      adapter16: Object.assign(exports1['cm32p2|wasi:filesystem/types@0.2|[method]descriptor.read-via-stream'], { _jcoMaySuspend: false }),
      adapter17: Object.assign(exports1['cm32p2|wasi:filesystem/types@0.2|[method]descriptor.write-via-stream'], { _jcoMaySuspend: false }),
      adapter18: Object.assign(exports1['cm32p2|wasi:filesystem/types@0.2|[method]descriptor.append-via-stream'], { _jcoMaySuspend: false }),
      adapter19: Object.assign(exports1['cm32p2|wasi:filesystem/types@0.2|[method]descriptor.get-flags'], { _jcoMaySuspend: false }),
      adapter20: Object.assign(exports1['cm32p2|wasi:filesystem/types@0.2|[method]descriptor.stat'], { _jcoMaySuspend: false }),
      adapter21: Object.assign(exports1['cm32p2|wasi:filesystem/types@0.2|[method]descriptor.metadata-hash'], { _jcoMaySuspend: false }),
      adapter22: Object.assign(exports1['cm32p2|wasi:cli/environment@0.2|get-environment'], { _jcoMaySuspend: false }),
      adapter23: Object.assign(exports1['cm32p2|wasi:cli/terminal-stdin@0.2|get-terminal-stdin'], { _jcoMaySuspend: false }),
      adapter24: Object.assign(exports1['cm32p2|wasi:cli/terminal-stdout@0.2|get-terminal-stdout'], { _jcoMaySuspend: false }),
      adapter25: Object.assign(exports1['cm32p2|wasi:cli/terminal-stderr@0.2|get-terminal-stderr'], { _jcoMaySuspend: false }),
      adapter26: Object.assign(exports1['cm32p2|wasi:clocks/wall-clock@0.2|now'], { _jcoMaySuspend: false }),
      adapter27: Object.assign(exports1['cm32p2|wasi:filesystem/preopens@0.2|get-directories'], { _jcoMaySuspend: false }),
      adapter9: Object.assign(exports3['cm32p2|local:init/module-loader|resolve'], { _jcoMaySuspend: false }),
    },
    context: {
      get0: contextGet.bind(null, { slot: 0 }),
      get1: contextGet.bind(null, { slot: 1 }),
      set0: contextSet.bind(null, { slot: 0 }),
      set1: contextSet.bind(null, { slot: 1 }),
    },
    flags: {
      instance1: instanceFlags1,
      instance21: instanceFlags21,
      instance23: instanceFlags23,
    },
    memory: {
      m0: exports3.cm32p2_memory,
    },
    post_return: {
      adapter10: Object.assign(exports3['cm32p2|local:init/module-loader|load_post'], { _jcoMaySuspend: false }),
      adapter11: Object.assign(exports1['cm32p2|wasi:random/insecure-seed@0.2|insecure-seed_post'], { _jcoMaySuspend: false }),
      adapter12: Object.assign(exports1['cm32p2|wasi:io/poll@0.2|poll_post'], { _jcoMaySuspend: false }),
      adapter13: Object.assign(exports1['cm32p2|wasi:io/streams@0.2|[method]output-stream.check-write_post'], { _jcoMaySuspend: false }),
      adapter14: Object.assign(exports1['cm32p2|wasi:io/streams@0.2|[method]output-stream.write_post'], { _jcoMaySuspend: false }),
      adapter15: Object.assign(exports1['cm32p2|wasi:io/streams@0.2|[method]output-stream.blocking-flush_post'], { _jcoMaySuspend: false }),
      adapter16: Object.assign(exports1['cm32p2|wasi:filesystem/types@0.2|[method]descriptor.read-via-stream_post'], { _jcoMaySuspend: false }),
      adapter17: Object.assign(exports1['cm32p2|wasi:filesystem/types@0.2|[method]descriptor.write-via-stream_post'], { _jcoMaySuspend: false }),
      adapter18: Object.assign(exports1['cm32p2|wasi:filesystem/types@0.2|[method]descriptor.append-via-stream_post'], { _jcoMaySuspend: false }),
      adapter19: Object.assign(exports1['cm32p2|wasi:filesystem/types@0.2|[method]descriptor.get-flags_post'], { _jcoMaySuspend: false }),
      adapter20: Object.assign(exports1['cm32p2|wasi:filesystem/types@0.2|[method]descriptor.stat_post'], { _jcoMaySuspend: false }),
      adapter21: Object.assign(exports1['cm32p2|wasi:filesystem/types@0.2|[method]descriptor.metadata-hash_post'], { _jcoMaySuspend: false }),
      adapter22: Object.assign(exports1['cm32p2|wasi:cli/environment@0.2|get-environment_post'], { _jcoMaySuspend: false }),
      adapter23: Object.assign(exports1['cm32p2|wasi:cli/terminal-stdin@0.2|get-terminal-stdin_post'], { _jcoMaySuspend: false }),
      adapter24: Object.assign(exports1['cm32p2|wasi:cli/terminal-stdout@0.2|get-terminal-stdout_post'], { _jcoMaySuspend: false }),
      adapter25: Object.assign(exports1['cm32p2|wasi:cli/terminal-stderr@0.2|get-terminal-stderr_post'], { _jcoMaySuspend: false }),
      adapter26: Object.assign(exports1['cm32p2|wasi:clocks/wall-clock@0.2|now_post'], { _jcoMaySuspend: false }),
      adapter27: Object.assign(exports1['cm32p2|wasi:filesystem/preopens@0.2|get-directories_post'], { _jcoMaySuspend: false }),
      adapter9: Object.assign(exports3['cm32p2|local:init/module-loader|resolve_post'], { _jcoMaySuspend: false }),
    },
    realloc: {
      f0: Object.assign(exports3.cm32p2_realloc, { _jcoMaySuspend: false }),
      f1: Object.assign(exports9.cabi_realloc, { _jcoMaySuspend: false }),
      f21: Object.assign(exports1.cm32p2_realloc, { _jcoMaySuspend: false }),
    },
    resource: {
      'transfer-borrow': Object.assign(trampoline27, { _jcoMaySuspend: false }),
      'transfer-own': Object.assign(trampoline26, { _jcoMaySuspend: false }),
    },
    runtime: {
      trap1: Object.assign(trampoline31, { _jcoMaySuspend: false }),
      trap23: Object.assign(trampoline23, { _jcoMaySuspend: false }),
      trap30: Object.assign(trampoline40, { _jcoMaySuspend: false }),
      trap31: Object.assign(trampoline29, { _jcoMaySuspend: false }),
      trap32: Object.assign(trampoline28, { _jcoMaySuspend: false }),
      trap33: Object.assign(trampoline30, { _jcoMaySuspend: false }),
    },
    transcode: {
      'utf8-to-utf8 (mem0 => mem1)': Object.assign(trampoline42, { _jcoMaySuspend: false }),
      'utf8-to-utf8 (mem1 => mem0)': Object.assign(trampoline41, { _jcoMaySuspend: false }),
      'utf8-to-utf8 (mem2 => mem1)': Object.assign(trampoline43, { _jcoMaySuspend: false }),
    },
  }));
  realloc0 = exports10.cabi_realloc;
  
  realloc0Async = __fabricPromisingOr(exports10.cabi_realloc, exports10.cabi_realloc);
  
  ({ exports: exports12 } = instantiateCore(module5, {
    actual: {
      '0': Object.assign(exports8.reset_adapter_state, { _jcoMaySuspend: false }),
      '1': Object.assign(exports7.adapter8, { _jcoMaySuspend: false }),
      '10': Object.assign(exports11.adapter17, { _jcoMaySuspend: false }),
      '11': Object.assign(exports11.adapter18, { _jcoMaySuspend: false }),
      '12': Object.assign(exports11.adapter19, { _jcoMaySuspend: false }),
      '13': Object.assign(exports11.adapter20, { _jcoMaySuspend: false }),
      '14': Object.assign(exports11.adapter21, { _jcoMaySuspend: false }),
      '15': Object.assign(exports11.adapter22, { _jcoMaySuspend: false }),
      '16': Object.assign(exports11.adapter23, { _jcoMaySuspend: false }),
      '17': Object.assign(exports11.adapter24, { _jcoMaySuspend: false }),
      '18': Object.assign(exports11.adapter25, { _jcoMaySuspend: false }),
      '19': Object.assign(exports11.adapter26, { _jcoMaySuspend: false }),
      '2': Object.assign(exports11.adapter9, { _jcoMaySuspend: false }),
      '20': Object.assign(exports11.adapter27, { _jcoMaySuspend: false }),
      '21': Object.assign(trampoline44, { _jcoMaySuspend: false }),
      '22': Object.assign(trampoline45, { _jcoMaySuspend: false }),
      '23': Object.assign(trampoline46, { _jcoMaySuspend: false }),
      '24': Object.assign(trampoline47, { _jcoMaySuspend: false }),
      '25': Object.assign(trampoline48, { _jcoMaySuspend: false }),
      '26': Object.assign(trampoline49, { _jcoMaySuspend: false }),
      '27': Object.assign(exports10['fabric:core/guest@0.1.0#[dtor]actor'], { _jcoMaySuspend: false }),
      '3': Object.assign(exports11.adapter10, { _jcoMaySuspend: false }),
      '4': Object.assign(exports11.adapter11, { _jcoMaySuspend: false }),
      '5': Object.assign(exports11.adapter12, { _jcoMaySuspend: false }),
      '6': Object.assign(exports11.adapter13, { _jcoMaySuspend: false }),
      '7': Object.assign(exports11.adapter14, { _jcoMaySuspend: false }),
      '8': Object.assign(exports11.adapter15, { _jcoMaySuspend: false }),
      '9': Object.assign(exports11.adapter16, { _jcoMaySuspend: false }),
    },
    'componentize_qjs_runtime.wasm': {
      __wasm_apply_data_relocs: Object.assign(exports9.__wasm_apply_data_relocs, { _jcoMaySuspend: false }),
      cabi_realloc: Object.assign(exports9.cabi_realloc, { _jcoMaySuspend: false }),
    },
    main: {
      __indirect_function_table: exports6.__indirect_function_table,
      memory: exports6.memory,
    },
    shim: {
      $imports: exports5.$imports,
    },
    'wit-dylib.wasm': {
      __wasm_apply_data_relocs: Object.assign(exports10.__wasm_apply_data_relocs, { _jcoMaySuspend: false }),
      __wasm_call_ctors: Object.assign(exports10.__wasm_call_ctors, { _jcoMaySuspend: false }),
    },
  }));
  realloc1 = exports9.cabi_realloc;
  
  realloc1Async = __fabricPromisingOr(exports9.cabi_realloc, exports9.cabi_realloc);
  
  postReturn0 = exports9.cabi_post_init;
  
  postReturn0Async = __fabricPromisingOr(exports9.cabi_post_init, exports9.cabi_post_init);
  
  postReturn1 = exports10['cabi_post_fabric:core/guest@0.1.0#[static]actor.create'];
  
  postReturn1Async = __fabricPromisingOr(exports10['cabi_post_fabric:core/guest@0.1.0#[static]actor.create'], exports10['cabi_post_fabric:core/guest@0.1.0#[static]actor.create']);
  
  postReturn2 = exports10['cabi_post_fabric:core/guest@0.1.0#[method]actor.invoke'];
  
  postReturn2Async = __fabricPromisingOr(exports10['cabi_post_fabric:core/guest@0.1.0#[method]actor.invoke'], exports10['cabi_post_fabric:core/guest@0.1.0#[method]actor.invoke']);
  
  postReturn3 = exports10['cabi_post_fabric:core/guest@0.1.0#describe'];
  
  postReturn3Async = __fabricPromisingOr(exports10['cabi_post_fabric:core/guest@0.1.0#describe'], exports10['cabi_post_fabric:core/guest@0.1.0#describe']);
  
  postReturn4 = exports10['cabi_post_fabric:core/guest@0.1.0#call'];
  
  postReturn4Async = __fabricPromisingOr(exports10['cabi_post_fabric:core/guest@0.1.0#call'], exports10['cabi_post_fabric:core/guest@0.1.0#call']);
  
  
  function trampoline23() {
    throw new WebAssemblyRuntimeError("wasm trap: cannot leave component instance");
  }
  
  
  function trampoline28() {
    throw new WebAssemblyRuntimeError("wasm trap: invalid variant discriminant");
  }
  
  
  function trampoline29() {
    throw new WebAssemblyRuntimeError("wasm trap: list content out-of-bounds");
  }
  
  
  function trampoline30() {
    throw new WebAssemblyRuntimeError("wasm trap: unaligned pointer");
  }
  
  
  function trampoline31() {
    throw new WebAssemblyRuntimeError("wasm trap: out of bounds memory access");
  }
  
  
  function trampoline40() {
    throw new WebAssemblyRuntimeError("wasm trap: string content out-of-bounds");
  }
  
  
  function trampoline41(from_ptr, len, to_ptr) {
    new Uint8Array(memory1.buffer, to_ptr, len).set(new Uint8Array(memory0.buffer, from_ptr, len));
  }
  
  
  function trampoline42(from_ptr, len, to_ptr) {
    new Uint8Array(memory0.buffer, to_ptr, len).set(new Uint8Array(memory1.buffer, from_ptr, len));
  }
  
  
  function trampoline43(from_ptr, len, to_ptr) {
    new Uint8Array(memory0.buffer, to_ptr, len).set(new Uint8Array(memory2.buffer, from_ptr, len));
  }
  
  exports9Init = exports9.init;
  guest010StaticActorCreate = exports10['fabric:core/guest@0.1.0#[static]actor.create'];
  guest010MethodActorInvoke = exports10['fabric:core/guest@0.1.0#[method]actor.invoke'];
  guest010Describe = exports10['fabric:core/guest@0.1.0#describe'];
  guest010Call = exports10['fabric:core/guest@0.1.0#call'];
  const guest010 = {
    Actor: Actor,
    call: call,
    describe: describe,
    
  };
  
  return { guest: guest010, 'fabric:core/guest@0.1.0': guest010, init,  };
})();
let promise, resolve, reject;
function normalizeInstantiationError(e) {
  // Native JSPI rejects a suspending import called from a
  // core start function before entering its JS wrapper.
  // At component instantiation time that always means the
  // implicit synchronous task attempted to block.
  if (typeof WebAssembly.SuspendError === 'function' && e instanceof WebAssembly.SuspendError) {
    return new WebAssembly.RuntimeError('cannot block a synchronous task before returning');
  }
  return e;
}
function runNext(value) {
  try {
    let done;
    do {
      ({ value, done } = gen.next(value));
    } while (!(value instanceof Promise) && !done);
    if (done) {
      if (resolve) return resolve(value);
      else return value;
    }
    if (!promise) promise = new Promise((_resolve, _reject) => (resolve = _resolve, reject= _reject));
    value.then(nextVal => done ? resolve() : runNext(nextVal), e => reject(normalizeInstantiationError(e)));
  }
  catch (e) {
    e = normalizeInstantiationError(e);
    if (reject) reject(e);
    else throw e;
  }
}
const maybeSyncReturn = runNext(null);
return promise || maybeSyncReturn;
};

export const _util = {
  
}


// Added by fabric (src/component/glue-patch.ts): probing for JSPI without building a TypeError.
function __fabricPromisingOr (f, fallback) {
  if (typeof WebAssembly.promising !== 'function') return fallback
  try { return WebAssembly.promising(f) } catch { return fallback }
}
function __fabricPromising (f) {
  if (typeof WebAssembly.promising !== 'function') throw (__fabricNoJspi ??= new TypeError('WebAssembly.promising is not available (no JSPI)'))
  return WebAssembly.promising(f)
}
var __fabricNoJspi
