// The apps the bench deploys, shared by the construction bench (mocks), the
// real-engine programs (bench/programs/*) and the unit test.
import * as path from "path";
import { demo } from "../services/demo";

export const REPO = path.resolve(__dirname, "..");
export const START_PERIOD_SECONDS = 50;

/**
 * N services, each with an image, a port, an HTTP readiness check, 2 replicas,
 * resources and one network (the shape).
 */
export function scaleApp(n: number) {
    const services: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) {
        services[`svc${i}`] = {
            image: "nginx:1.27",
            ports: [{ port: 80 }],
            health: { readiness: { http: { path: "/", port: 80 } } },
            replicas: 2,
            resources: { cpu: { request: "100m", limit: "500m" }, memory: { request: "64Mi", limit: "128Mi" } },
            networks: ["backend"],
        };
    }
    return { services, networks: { backend: {} } };
}

/**
 * The demo (services/demo.ts) as it is, but for two things a bench must
 * change: web publishes `port` (the bench's range is 38000-38999, the dev
 * stack has 8080), every check has a start period (START_PERIOD_SECONDS), and each build context is `src`/<service> (a copy of
 * services/ that the update bench edits), absolute so that the program runs
 * from any folder.
 */
export function demoApp(src: string, port: number) {
    const spec = JSON.parse(JSON.stringify(demo)) as typeof demo;
    (spec.services.web.ports[0] as { publish: number }).publish = port;
    for (const [name, svc] of Object.entries(spec.services)) {
        (svc as { build: { context: string } }).build.context = path.join(src, name);
        // A start period on every check (the demo has none): on this loaded
        // machine (load 15 to 35 on 2 cores) web's first checks fail while
        // node starts, 3 failures mark it unhealthy, and both berth and
        // Compose stop there. Compose, docker run and the hand-written
        // program get the same start period. 50 s, not 60, since a berth that
        // wrote 60 s as "60s" (Docker reports "1m0s") replaced the containers
        // at every up; fixed (goDuration, components/docker.ts), the figure kept
        // so that runs compare.
        (svc.health.readiness as { startPeriodSeconds?: number }).startPeriodSeconds = START_PERIOD_SECONDS;
    }
    return spec;
}
