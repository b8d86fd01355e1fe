// bee-queue 2 against Bunker and redis-server 7.0. bee-queue loads its Lua scripts with
// SCRIPT EXISTS / SCRIPT LOAD and runs them with EVALSHA (addJob, addDelayedJob,
// raiseDelayedJobs, checkStalledJobs, removeJob); workers wait with BRPOPLPUSH, and job
// events travel over Pub/Sub to the producer. Results, events and the queue's final
// state must be the same on both servers.

import { describe, expect, test } from "bun:test";
import BeeQueue from "bee-queue";
import { haveRedis } from "../helpers/differential.ts";
import { scriptingCommandStats, useLibraryServers, withIoredis } from "../helpers/library-pair.ts";
import { waitFor } from "../helpers/wait.ts";

const onBoth = useLibraryServers();
const d = haveRedis ? describe : describe.skip;

interface JobData {
  kind: "double" | "flaky" | "fail" | "progress" | "custom" | "delayed" | "bulk";
  x?: number;
  createdAt?: number;
}

const DELAY_MS = 1_000;
const BULK_JOBS = 20;

d("bee-queue", () => {
  test("jobs are created, processed (with a retry, a failure, progress, a delay) and their results reach the producer", async () => {
    const outcome = await onBoth(async (port) => {
      const redis = { host: "127.0.0.1", port };
      // One queue after the other: each loads the scripts SCRIPT EXISTS says are missing,
      // and two at once would both load them, or not, depending on timing.
      const producer = new BeeQueue<JobData>("tasks", { redis, isWorker: false, getEvents: true });
      let worker: BeeQueue<JobData> | undefined;
      try {
        await producer.ready();
        const consumer = new BeeQueue<JobData>("tasks", { redis, getEvents: false, activateDelayedJobs: true, stallInterval: 120_000 });
        worker = consumer;
        await consumer.ready();
        const attempts = new Map<string, number>();
        let delayedWaitedEnough: boolean | undefined;
        consumer.process(1, async (job) => {
          const attempt = (attempts.get(job.id) ?? 0) + 1;
          attempts.set(job.id, attempt);
          switch (job.data.kind) {
            case "double":
            case "bulk":
              return job.data.x! * 2;
            case "flaky":
              if (attempt === 1) throw new Error("flaky: first attempt fails");
              return `flaky succeeded on attempt ${attempt}`;
            case "fail":
              throw new Error("this job always fails");
            case "progress":
              await job.reportProgress(50);
              return "progress done";
            case "custom":
              return `custom id ${job.id}`;
            case "delayed":
              delayedWaitedEnough = Date.now() - job.data.createdAt! >= DELAY_MS;
              return "delayed done";
            default:
              throw new Error(`unexpected kind ${job.data.kind}`);
          }
        });

        // Every job's events as the producer hears them (Pub/Sub), in order. The queue's
        // events, not the job's: a job can finish before save() returns.
        const events = new Map<string, string[]>();
        const finished = new Set<string>();
        const log = (id: string, event: string) => {
          if (!events.has(id)) events.set(id, []);
          events.get(id)!.push(event);
        };
        producer.on("job progress", (id, progress) => log(id, `progress ${JSON.stringify(progress)}`));
        producer.on("job retrying", (id, error) => log(id, `retrying ${error.message}`));
        producer.on("job succeeded", (id, result) => {
          log(id, `succeeded ${JSON.stringify(result)}`);
          finished.add(id);
        });
        producer.on("job failed", (id, error) => {
          log(id, `failed ${error.message}`);
          finished.add(id);
        });

        const jobs: BeeQueue.Job<JobData>[] = [];
        jobs.push(await producer.createJob<JobData>({ kind: "double", x: 21 }).save());
        jobs.push(await producer.createJob<JobData>({ kind: "flaky" }).retries(1).save());
        jobs.push(await producer.createJob<JobData>({ kind: "fail" }).save());
        jobs.push(await producer.createJob<JobData>({ kind: "progress" }).save());
        jobs.push(await producer.createJob<JobData>({ kind: "custom" }).setId("my-id").save());
        // The same id again: addJob refuses it (the job keeps no id).
        const duplicate = await producer.createJob<JobData>({ kind: "custom" }).setId("my-id").save();
        const now = Date.now();
        jobs.push(await producer.createJob<JobData>({ kind: "delayed", createdAt: now }).delayUntil(now + DELAY_MS).save());
        const bulk = Array.from({ length: BULK_JOBS }, (_, i) => producer.createJob<JobData>({ kind: "bulk", x: i }));
        const bulkErrors = await producer.saveAll(bulk);
        jobs.push(...bulk);

        await waitFor(() => finished.size === jobs.length, { timeoutMs: 60_000, what: "every bee-queue job to finish" });
        // Events are published after the job's state is written: wait for the queue to settle.
        await waitFor(async () => (await producer.checkHealth()).active === 0, { what: "no active job" });

        const health = await producer.checkHealth();
        const succeeded = (await producer.getJobs("succeeded", { size: 100 })).map((job) => job.id).sort();
        const failed = (await producer.getJobs("failed", { size: 100 })).map((job) => job.id).sort();
        const stored = await Promise.all(
          jobs.slice(0, 6).map(async (job) => {
            const fresh = await consumer.getJob(job.id);
            return { id: job.id, status: fresh.status, progress: fresh.progress, retries: fresh.options.retries, stacktraces: fresh.options.stacktraces.length };
          }),
        );
        await producer.removeJob(jobs[0]!.id);
        const afterRemove = await producer.checkHealth();
        // How many EVALSHAs ran depends on timers (stalled-job checks, delayed-job
        // polling): their failures are compared, not their number.
        const stats = await withIoredis(port, scriptingCommandStats);
        stats.evalsha = stats.evalsha!.replace(/calls=\d+/, "calls=*");
        return {
          ids: jobs.map((job) => job.id),
          duplicateId: duplicate.id,
          bulkErrors: bulkErrors.size,
          events: Object.fromEntries(jobs.map((job) => [job.id, events.get(job.id)])),
          attempts: Object.fromEntries(attempts),
          delayedWaitedEnough,
          health,
          succeeded,
          failed,
          stored,
          afterRemove,
          stats,
        };
      } finally {
        await Promise.allSettled([worker?.close(10_000), producer.close(10_000)]);
      }
    });
    expect(outcome.bunker).toEqual(outcome.redis);
    expect(outcome.redis.delayedWaitedEnough).toBe(true);
    // bee-queue's typings say newestJob is a string; checkHealth parses it.
    expect(outcome.redis.health as unknown).toEqual({ waiting: 0, active: 0, succeeded: 5 + BULK_JOBS, failed: 1, delayed: 0, newestJob: 5 + BULK_JOBS });
  });
});
