/**
 * The V8 settings the server runs with (`npm start`, `bin/tessera.js`; node-flags.test.ts holds those to this
 * list), and the benchmark's servers too, the bare one included, so that it compares code and not settings.
 *
 * `--max-semi-space-size=64` (MB; V8's default is 16): the young generation, where nearly everything a
 * request allocates lives and dies. A young collection costs a fixed part (about 1 ms with the 100k-tenant
 * benchmark catalog in the old generation) plus the little that survives, so a young generation four times
 * larger collects four times less often for nearly the same cost each time: under load at 100k tenants a
 * collection came every ~30 ms and cost about 1 µs a request, and now comes a quarter as often. It costs
 * memory: up to 2 × 64 MB more, committed only as allocation grows into it. Node's documentation of the
 * flag recommends it for throughput.
 */
export const SERVER_NODE_FLAGS: readonly string[] = ["--max-semi-space-size=64"];
