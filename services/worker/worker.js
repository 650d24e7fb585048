// berth demo worker: takes the jobs that web queues in Redis and records
// each as processed in Postgres.
"use strict";
const { Pool } = require("pg");
const { createClient } = require("redis");
const fs = require("fs");

// The readiness check (services/demo.ts) reads this file's age: the loop
// touches it every pass, so a stuck worker stops being ready.
const ALIVE = "/tmp/worker-alive";
const alive = () => fs.writeFileSync(ALIVE, String(Date.now()));

const pool = new Pool({ max: 2 });
// An idle client dropped by the server (e.g. a db restart) is discarded and replaced.
pool.on("error", (e) => console.error("postgres:", e.message));
const redis = createClient({ url: process.env.REDIS_URL });
redis.on("error", (e) => console.error("redis:", e.message));
let stopping = false;
process.on("SIGTERM", () => (stopping = true));

(async () => {
    await pool.query("CREATE TABLE IF NOT EXISTS jobs_done (id bigserial PRIMARY KEY, job jsonb NOT NULL, done_at timestamptz NOT NULL DEFAULT now())");
    await redis.connect();
    console.log("worker waiting for jobs");
    while (!stopping) {
        alive();
        const item = await redis.brPop("berth:jobs", 2);
        if (!item) continue;
        try {
            await pool.query("INSERT INTO jobs_done (job) VALUES ($1)", [item.element]);
        } catch (e) {
            // Postgres is away (e.g. restarting): put the job back where it was taken from, retry shortly.
            await redis.rPush("berth:jobs", item.element);
            console.error("job requeued:", e.message);
            await new Promise((r) => setTimeout(r, 1000));
        }
    }
    await redis.quit();
    await pool.end();
})().catch((e) => {
    console.error("worker failed:", e.message);
    process.exit(1);
});
