// BullMQ against Bunker and redis-server 7.0. Every state change of a BullMQ job is a Lua
// script (addStandardJob, addPrioritizedJob, addDelayedJob, moveToActive, moveToFinished,
// retryJob, getCounts...; ioredis defineCommand, EVALSHA with cmsgpack-packed options);
// workers block on BZPOPMIN of a marker key and QueueEvents reads a stream with XREAD
// BLOCK. The scenarios compare what a BullMQ user observes: the order jobs were
// processed in (where BullMQ defines it), their results and attempts, the events heard,
// and the job counts at the end.

import { describe, expect, test } from "bun:test";
import { Queue, QueueEvents, Worker, type Job, type JobsOptions } from "bullmq";
import { haveRedis } from "../helpers/differential.ts";
import { useLibraryServers, withIoredis } from "../helpers/library-pair.ts";
import { waitFor } from "../helpers/wait.ts";

const onBoth = useLibraryServers();
const d = haveRedis ? describe : describe.skip;

/** Generous: hundreds of jobs one at a time on a loaded 2-core machine. */
const TEST_TIMEOUT_MS = 240_000;
const PROCESSING_DEADLINE_MS = 90_000;

const JOBS = 300;
const DELAY_MS = 2_000;
/** Fails its first attempt (attempts: 2): one waiting job, one prioritized. */
const FLAKY = new Set(["job-42", "job-55"]);
const WITH_PROGRESS = "job-7";

interface JobData {
  i: number;
}

/** Every fifth job has a priority (1..10, repeated, so some share one). */
function priorityOf(i: number): number | undefined {
  return i % 5 === 0 ? 1 + ((i * 7) % 10) : undefined;
}

function jobSpecs(): Array<{ name: string; data: JobData; opts: JobsOptions }> {
  return Array.from({ length: JOBS }, (_, i) => {
    const name = `job-${i}`;
    const opts: JobsOptions = {};
    const priority = priorityOf(i);
    if (priority !== undefined) opts.priority = priority;
    if (FLAKY.has(name)) opts.attempts = 2;
    return { name, data: { i }, opts };
  });
}

/**
 * The processing order BullMQ defines for one worker of concurrency 1 that starts once
 * every job is queued: the waiting list first, oldest first (moveToActive takes from
 * `wait` before `prioritized`); a failed job to be retried goes back to the end of
 * its list (LPUSH), or behind the jobs of its priority (a new priority counter); then
 * prioritized jobs by priority, then by when they were added. The delayed job joins
 * whenever its delay ends, so it is left out.
 */
function expectedOrder(): string[] {
  const waiting: string[] = [];
  const prioritized: Array<{ priority: number; sequence: number; name: string }> = [];
  let sequence = 0;
  for (let i = 0; i < JOBS; i++) {
    const name = `job-${i}`;
    const priority = priorityOf(i);
    if (priority === undefined) waiting.push(`${name}#1`);
    else prioritized.push({ priority, sequence: sequence++, name: `${name}#1` });
  }
  const order: string[] = [];
  for (let k = 0; k < waiting.length; k++) {
    order.push(waiting[k]!);
    const name = waiting[k]!.replace("#1", "");
    if (FLAKY.has(name)) waiting.push(`${name}#2`);
  }
  const byPriority = (a: { priority: number; sequence: number }, b: { priority: number; sequence: number }) => a.priority - b.priority || a.sequence - b.sequence;
  prioritized.sort(byPriority);
  while (prioritized.length > 0) {
    const next = prioritized.shift()!;
    order.push(next.name);
    const name = next.name.replace("#1", "");
    if (next.name.endsWith("#1") && FLAKY.has(name)) {
      prioritized.push({ priority: next.priority, sequence: sequence++, name: `${name}#2` });
      prioritized.sort(byPriority);
    }
  }
  return order;
}

/** A job as its owner reads it back, without times (only their order is kept). */
async function jobSummary(job: Job<JobData>): Promise<Record<string, unknown>> {
  return {
    id: job.id,
    name: job.name,
    data: job.data,
    state: await job.getState(),
    returnvalue: job.returnvalue,
    progress: job.progress,
    attemptsMade: job.attemptsMade,
    attemptsStarted: job.attemptsStarted,
    stalledCounter: job.stalledCounter,
    failedReason: job.failedReason,
    stacktrace: job.stacktrace?.length,
    priority: job.priority,
    delay: job.delay,
    opts: { attempts: job.opts.attempts, priority: job.opts.priority, delay: job.opts.delay },
    timesInOrder: job.timestamp <= job.processedOn! && job.processedOn! <= job.finishedOn!,
  };
}

d("BullMQ", () => {
  test(
    `${JOBS} jobs with priorities, a delayed job and a retried job, one worker`,
    async () => {
      const outcome = await onBoth(async (port) => {
        const connection = { host: "127.0.0.1", port, maxRetriesPerRequest: null };
        const queue = new Queue<JobData>("libs", { connection });
        // Reads the events stream from its start: nothing is missed before its first XREAD.
        const queueEvents = new QueueEvents("libs", { connection, lastEventId: "0-0" });
        let worker: Worker<JobData> | undefined;
        try {
          await queue.waitUntilReady();
          await queueEvents.waitUntilReady();
          const heard = { completed: 0, failed: 0, delayed: 0, waiting: 0 };
          queueEvents.on("completed", () => heard.completed++);
          queueEvents.on("failed", () => heard.failed++);
          queueEvents.on("delayed", () => heard.delayed++);
          queueEvents.on("waiting", () => heard.waiting++);

          const delayed = await queue.add("delayed", { i: -1 }, { delay: DELAY_MS });
          const added = await queue.addBulk(jobSpecs());
          const countsBefore = await queue.getJobCounts();

          const processed: string[] = [];
          const attempts = new Map<string, number>();
          worker = new Worker<JobData>(
            "libs",
            async (job) => {
              const attempt = (attempts.get(job.name) ?? 0) + 1;
              attempts.set(job.name, attempt);
              processed.push(`${job.name}#${attempt}`);
              if (FLAKY.has(job.name) && attempt === 1) throw new Error(`${job.name} fails its first attempt`);
              if (job.name === WITH_PROGRESS) {
                await job.updateProgress(50);
                await job.log("halfway");
                await job.updateProgress({ done: true });
              }
              return { doubled: job.data.i * 2, attempt };
            },
            { connection, concurrency: 1, autorun: false },
          );
          const workerErrors: string[] = [];
          worker.on("error", (error) => workerErrors.push(error.message));
          void worker.run();

          await waitFor(async () => (await queue.getJobCounts("completed")).completed === JOBS + 1, {
            timeoutMs: PROCESSING_DEADLINE_MS,
            what: "every BullMQ job to complete",
          });
          await waitFor(() => heard.completed === JOBS + 1, { what: "QueueEvents to hear every completion" });

          const delayedJob = (await queue.getJob(delayed.id!))!;
          const summaries = await Promise.all([delayedJob, ...(await Promise.all(added.map((job) => queue.getJob(job.id!))))].map((job) => jobSummary(job!)));
          return {
            countsBefore,
            countsAfter: await queue.getJobCounts(),
            order: processed.filter((entry) => !entry.startsWith("delayed#")),
            delayedRanAfterItsDelay: delayedJob.processedOn! - delayedJob.timestamp >= DELAY_MS,
            summaries,
            logs: await queue.getJobLogs(added[7]!.id!),
            heard,
            workerErrors,
            // The queue's keys, without the jobs' own and the two whose presence is a
            // matter of timing: the marker (a delayed job's wake-up, popped or not) and
            // stalled-check (set with a PX of stalledInterval, 30 s, by the worker).
            keys: await withIoredis(port, async (client) =>
              (await client.keys("bull:libs:*")).filter((key) => !/:(\d+(:logs)?|marker|stalled-check)$/.test(key)).sort(),
            ),
          };
        } finally {
          await worker?.close();
          await queueEvents.close();
          await queue.close();
        }
      });
      const { redis, bunker } = outcome;
      // What BullMQ guarantees, checked on Redis first (a check of this test itself).
      expect(redis.order).toEqual(expectedOrder());
      expect(redis.delayedRanAfterItsDelay).toBe(true);
      expect(redis.countsAfter.completed).toBe(JOBS + 1);
      // Then Bunker, part by part for readable differences, then as a whole.
      expect(bunker.countsBefore).toEqual(redis.countsBefore);
      expect(bunker.countsAfter).toEqual(redis.countsAfter);
      expect(bunker.order).toEqual(redis.order);
      expect(bunker.delayedRanAfterItsDelay).toBe(true);
      expect(bunker.summaries).toEqual(redis.summaries);
      expect(bunker).toEqual(redis);
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "two workers at concurrency 8, a paused queue, removeOnComplete, clean and obliterate",
    async () => {
      const outcome = await onBoth(async (port) => {
        const connection = { host: "127.0.0.1", port, maxRetriesPerRequest: null };
        const queue = new Queue<JobData>("busy", { connection, defaultJobOptions: { removeOnComplete: 50, removeOnFail: 5 } });
        const workers: Worker<JobData>[] = [];
        try {
          await queue.pause();
          const jobs = 200;
          await queue.addBulk(Array.from({ length: jobs }, (_, i) => ({ name: `busy-${i}`, data: { i }, opts: i % 50 === 7 ? { attempts: 1 } : {} })));
          const timesProcessed = new Map<string, number>();
          for (let w = 0; w < 2; w++) {
            workers.push(
              new Worker<JobData>(
                "busy",
                async (job) => {
                  timesProcessed.set(job.name, (timesProcessed.get(job.name) ?? 0) + 1);
                  await Bun.sleep(job.data.i % 3);
                  if (job.data.i % 50 === 7) throw new Error("no retries for this one");
                  return job.data.i;
                },
                { connection, concurrency: 8 },
              ),
            );
          }
          await Promise.all(workers.map((worker) => worker.waitUntilReady()));
          // Paused: the workers must not take anything. Give them the time to do it wrongly.
          await Bun.sleep(500);
          const whilePaused = { processed: timesProcessed.size, counts: await queue.getJobCounts(), paused: await queue.isPaused() };
          await queue.resume();
          await waitFor(
            async () => {
              const counts = await queue.getJobCounts("active", "wait", "prioritized", "delayed");
              return timesProcessed.size === jobs && Object.values(counts).every((count) => count === 0);
            },
            { timeoutMs: PROCESSING_DEADLINE_MS, what: "the busy queue to drain" },
          );
          const countsAfter = await queue.getJobCounts();
          const completedIds = (await queue.getCompleted(0, -1)).length;
          const failed = (await queue.getFailed(0, -1)).map((job) => job.name).sort();
          const cleaned = (await queue.clean(0, 1000, "completed")).length;
          const countsAfterClean = await queue.getJobCounts();
          await queue.obliterate({ force: true });
          const keysLeft = await withIoredis(port, (client) => client.keys("bull:busy:*"));
          return {
            whilePaused,
            processedTwice: [...timesProcessed].filter(([, times]) => times !== 1),
            countsAfter,
            completedIds,
            failed,
            cleaned,
            countsAfterClean,
            keysLeft,
          };
        } finally {
          await Promise.all(workers.map((worker) => worker.close()));
          await queue.close();
        }
      });
      expect(outcome.redis.whilePaused.processed).toBe(0);
      expect(outcome.redis.countsAfter.completed).toBe(50);
      expect(outcome.bunker).toEqual(outcome.redis);
    },
    TEST_TIMEOUT_MS,
  );
});
