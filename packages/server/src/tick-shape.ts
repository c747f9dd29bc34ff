import { createHook } from "node:async_hooks";

/**
 * Keeps one of process.nextTick's queue objects alive for the life of the process, so that a garbage
 * collection cannot take the hidden classes of those objects with it.
 *
 * Node builds each nextTick queue object with an object literal whose first keys are computed
 * (`{ [async_id_symbol]: …, [trigger_async_id_symbol]: …, callback, args }`). V8's inline caches for such keys
 * hold the hidden class they saw weakly, and when they meet another one they go straight from monomorphic to
 * megamorphic, for good. A full collection that runs while no queue object is alive can collect those
 * classes; from then on, for the life of the process, every nextTick (about a dozen per HTTP request)
 * defines its properties through V8's runtime. In the HTTP bench's Tessera server that cost about 8 µs of
 * CPU per request (39 against 31 µs; nextTick 6.5% of the CPU profile). It happened in every run after
 * the bench's forced collection at 100k tenants, and in one run of eight during start-up and loading alone.
 * One live queue object is enough: a hidden class keeps the classes it was made from alive.
 *
 * The only public way to a queue object is an async hook's init, so a hook is enabled for one nextTick.
 */
let held: object | undefined;

export function holdTickShape(): void {
  if (held !== undefined) return;
  const hook = createHook({
    init(_asyncId, type, _triggerAsyncId, resource) {
      if (type === "TickObject") held ??= resource;
    },
  });
  hook.enable();
  try {
    process.nextTick(noop);
  } finally {
    hook.disable();
  }
}

/** The queue object held, for tests. */
export function heldTickShape(): object | undefined {
  return held;
}

function noop(): void {}
