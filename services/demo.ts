// The demo app: web (published, autoscaled), worker, redis and db (with the
// pgdata volume), on a public frontend network and an internal backend one.
// Every field is documented in components/spec.ts.
import { AppInput } from "../components/spec";

export const demo = {
    services: {
        web: {
            build: { context: "services/web" },
            env: { REDIS_URL: "redis://redis:6379", PGHOST: "db", PGUSER: "app", PGDATABASE: "app" },
            secrets: { PGPASSWORD: { config: "dbPassword" } },
            ports: [{ port: 8080, publish: 8080 }],
            health: { readiness: { http: { path: "/healthz", port: 8080 }, intervalSeconds: 2, retries: 3 } },
            dependsOn: { db: "healthy", redis: "healthy" },
            scaling: { min: 2, max: 6, cpuPercent: 70 },
            resources: { cpu: { request: "100m", limit: "500m" }, memory: { request: "64Mi", limit: "256Mi" } },
            networks: ["frontend", "backend"],
        },
        worker: {
            build: { context: "services/worker" },
            env: { REDIS_URL: "redis://redis:6379", PGHOST: "db", PGUSER: "app", PGDATABASE: "app" },
            secrets: { PGPASSWORD: { config: "dbPassword" } },
            dependsOn: { db: "healthy", redis: "healthy" },
            // Ready while its job loop runs: the loop touches /tmp/worker-alive every 2 s.
            health: { readiness: { command: ["bash", "-c", "test $(( $(date +%s) - $(stat -c %Y /tmp/worker-alive) )) -lt 10"], intervalSeconds: 5 } },
            resources: { cpu: { request: "50m", limit: "250m" }, memory: { request: "64Mi", limit: "128Mi" } },
            networks: ["backend"],
        },
        redis: {
            build: { context: "services/redis" },
            ports: [{ port: 6379 }],
            health: { readiness: { tcp: { port: 6379 }, intervalSeconds: 2 } },
            resources: { cpu: { request: "50m", limit: "250m" }, memory: { request: "32Mi", limit: "128Mi" } },
            networks: ["backend"],
        },
        db: {
            build: { context: "services/db" },
            secrets: { POSTGRES_PASSWORD: { config: "dbPassword" } },
            ports: [{ port: 5432 }],
            health: { readiness: { command: ["pg_isready", "-h", "127.0.0.1", "-U", "app"], intervalSeconds: 2, retries: 10 } },
            resources: { cpu: { request: "100m", limit: "500m" }, memory: { request: "128Mi", limit: "512Mi" } },
            volumes: [{ volume: "pgdata", path: "/var/lib/postgresql/data" }],
            networks: ["backend"],
        },
    },
    networks: { frontend: {}, backend: { internal: true } },
    volumes: { pgdata: { size: "1Gi" } },
} satisfies AppInput;
