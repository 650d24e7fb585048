// The notes app: one service that keeps notes in a file on a volume, and
// answers GET /notes, POST /notes and GET /healthz on its port.
import * as path from "path";
import { AppInput } from "berth";

export function notes(publish: number): AppInput {
    return {
        services: {
            api: {
                build: { context: path.join(__dirname, "api") },
                ports: [{ port: 8090, publish }],
                health: { readiness: { http: { path: "/healthz", port: 8090 }, intervalSeconds: 1 } },
                resources: { cpu: { request: "50m", limit: "250m" }, memory: { request: "32Mi", limit: "64Mi" } },
                volumes: [{ volume: "notes", path: "/data" }],
            },
        },
        volumes: { notes: { size: "64Mi" } },
    };
}
