// berth demo web service: GET / records a visit in Postgres, queues a job
// for the worker in Redis, and answers the visit count and this replica's
// hostname; GET /healthz answers 200 when Postgres and Redis answer, and 503
// while the file /tmp/drain exists (an operator takes this replica out of
// rotation: `touch /tmp/drain` inside it; the load balancer stops sending it requests).
// GET /burn?ms=N keeps this replica's CPU busy for N ms (1 to 1000, default 20)
// and answers its hostname: load that the autoscaler's cpu target sees (GET /
// mostly waits on Postgres, and may never reach it).
"use strict";
const http = require("http");
const os = require("os");
const fs = require("fs");
const { Pool } = require("pg");
const { createClient } = require("redis");

const pool = new Pool({ max: 4, connectionTimeoutMillis: 2000 });
// An idle client dropped by the server (e.g. a db restart) is discarded and replaced.
pool.on("error", (e) => console.error("postgres:", e.message));
const redis = createClient({ url: process.env.REDIS_URL });
redis.on("error", (e) => console.error("redis:", e.message));

async function init() {
    await pool.query("CREATE TABLE IF NOT EXISTS visits (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now(), host text NOT NULL)");
    await redis.connect();
}

const server = http.createServer(async (req, res) => {
    const send = (code, body) => {
        res.writeHead(code, { "content-type": "application/json" });
        res.end(JSON.stringify(body) + "\n");
    };
    try {
        if (req.url === "/healthz") {
            if (fs.existsSync("/tmp/drain")) return send(503, { error: "draining (/tmp/drain exists)" });
            await pool.query("SELECT 1");
            await redis.ping();
            return send(200, { ok: true });
        }
        const { pathname, searchParams } = new URL(req.url, "http://web");
        if (pathname === "/burn" && req.method === "GET") {
            const ms = Number(searchParams.get("ms") ?? 20);
            if (!Number.isInteger(ms) || ms < 1 || ms > 1000) return send(400, { error: "ms: whole milliseconds from 1 to 1000" });
            // Busy until then, on the event loop: this replica answers nothing else meanwhile.
            const end = process.hrtime.bigint() + BigInt(ms) * 1000000n;
            let spins = 0;
            while (process.hrtime.bigint() < end) spins++;
            return send(200, { ms, spins, hostname: os.hostname() });
        }
        if (req.url === "/" && req.method === "GET") {
            const { rows } = await pool.query("WITH v AS (INSERT INTO visits (host) VALUES ($1) RETURNING id) SELECT count(*)::int AS visits FROM visits", [os.hostname()]);
            await redis.lPush("berth:jobs", JSON.stringify({ host: os.hostname(), at: Date.now() }));
            return send(200, { visits: rows[0].visits + 1, hostname: os.hostname() });
        }
        send(404, { error: "not found" });
    } catch (e) {
        send(503, { error: e.message });
    }
});

// Finish in-flight requests on SIGTERM, so a rolling replacement drops none;
// idle keep-alive connections (the load balancer's) are closed at once.
process.on("SIGTERM", () => {
    server.close(() => process.exit(0));
    server.closeIdleConnections();
});

init()
    .then(() => server.listen(8080, () => console.log("web listening on :8080")))
    .catch((e) => {
        console.error("init failed:", e.message);
        process.exit(1);
    });
