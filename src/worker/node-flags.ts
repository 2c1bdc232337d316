/**
 * The V8 flags every worker process runs with: package.json's `worker` script, the Dockerfile,
 * docker-compose.yml, the fault and cluster tests and the benchmark (test/unit/compose.test.ts
 * holds the first three to this list).
 *
 * Why: a worker's live heap is small (about 90 MB with 4,000 webhooks waiting on a down host), but
 * draining or starting thousands of workflows makes garbage fast, and left alone V8 let the heap
 * grow to several times the live set before a full collection — 682 MB of RSS with 4,000 webhooks,
 * 786 MB with 10,000 (bench/README.md, "Worker memory"). Capped, it collects sooner: 374 MB with
 * 10,000 waiting, 478 MB while they drain (what that costs in speed is not isolated). 256 MB leaves
 * room for the live set of a busy worker (send bodies, the attempt memo, ledger batches); a worker
 * that needs more can be given more (NODE_OPTIONS).
 */
export const WORKER_NODE_FLAGS = ['--max-old-space-size=256', '--max-semi-space-size=8'] as const;
