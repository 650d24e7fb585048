// The app of the checks e2e suites (checks.test.ts on Docker,
// checks-kubernetes.test.ts on the local cluster): servers in images without
// a shell, each answering 200 only on one path that holds `'`, `%` and `$`,
// and a dependent that waits for them healthy.
import * as fs from "fs";
import * as path from "path";
import { checkerBinary } from "../../components/checker";

/** The one path the servers answer 200 on: as the spec gives it, and as the server's file system holds it (decoded). */
export const PATH = "/ready/it's/100%25/$HOME";
export const FILE = "www/ready/it's/100%/$HOME";

export const spec = {
    services: {
        scratch: {
            build: { context: "checks/scratch" },
            ports: [{ port: 8080 }],
            health: { readiness: { http: { path: PATH, port: 8080 }, intervalSeconds: 1, timeoutSeconds: 2, retries: 3 } },
            resources: { cpu: { limit: "250m" }, memory: { limit: "32Mi" } },
        },
        "scratch-tcp": {
            build: { context: "checks/scratch" },
            ports: [{ port: 8080 }],
            health: { readiness: { tcp: { port: 8080 }, intervalSeconds: 1, timeoutSeconds: 2, retries: 3 } },
            resources: { cpu: { limit: "250m" }, memory: { limit: "32Mi" } },
        },
        bb: {
            build: { context: "checks/bb" },
            ports: [{ port: 8080 }],
            health: { readiness: { http: { path: PATH, port: 8080 }, intervalSeconds: 1, timeoutSeconds: 2, retries: 3 } },
            security: { readOnlyRootFilesystem: true, runAsUser: 65534 },
            resources: { cpu: { limit: "250m" }, memory: { limit: "32Mi" } },
        },
        client: {
            build: { context: "checks/bb" },
            command: ["sleep", "3600"],
            dependsOn: { scratch: "healthy", "scratch-tcp": "healthy", bb: "healthy" },
            resources: { cpu: { limit: "250m" }, memory: { limit: "32Mi" } },
        },
    },
};

/** The program of a branch: this spec instead of the demo, and the two build contexts. */
export function program(dir: string, publish?: number): void {
    // With `publish`, scratch publishes its port there (on Docker: through the generated load balancer, whose tcp check runs the checker too).
    const app = publish === undefined ? spec : { services: { ...spec.services, scratch: { ...spec.services.scratch, ports: [{ port: 8080, publish }] } } };
    fs.writeFileSync(
        path.join(dir, "index.ts"),
        `import { App, berthOutput } from "./components";\nimport { AppInput } from "./components/spec";\nconst spec: AppInput = ${JSON.stringify(app, null, 4)};\nexport = async () => {\n    const app = await App.create("checks", { spec });\n    return { berth: berthOutput(app) };\n};\n`,
    );
    const context = (name: string, dockerfile: string) => {
        const ctx = path.join(dir, "checks", name);
        fs.mkdirSync(path.join(ctx, path.dirname(FILE)), { recursive: true });
        fs.writeFileSync(path.join(ctx, FILE), "ready\n");
        fs.copyFileSync(checkerBinary(), path.join(ctx, "busybox"));
        fs.writeFileSync(path.join(ctx, "Dockerfile"), dockerfile);
    };
    context("scratch", 'FROM scratch\nCOPY busybox /busybox\nCOPY www /www\nUSER 65534\nENTRYPOINT ["/busybox", "httpd", "-f", "-p", "8080", "-h", "/www"]\n');
    context("bb", 'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\nCOPY www /www\nUSER 65534\nCMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n');
}

