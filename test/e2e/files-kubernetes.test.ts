// A service's files on the local cluster (issue 12): the same server as
// files.test.ts (an inline file, mode 0755, that answers with a config file
// read from the program's folder), with a read-only root filesystem, its
// image built from berth's Debian base and pushed to the cluster's registry.
// up: the pods answer with the file from the ConfigMap; the file's content
// changes and up makes a new ConfigMap, the pods roll and answer with the new
// content, and the old ConfigMap is gone; a preview then finds no changes.
// Everything checked is read from the API server and the NodePort.
import * as fs from "fs";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contextHash } from "../../components/images";
import { E2eStack, LocalCluster, RUN_ID, branchOfProgram, localCluster, newStack, progress, run, teardown, until } from "./engine";
import { FILES_SERVER } from "./files-server";

const NS = `files-${RUN_ID}`;
const STACK = `files-k8s-${RUN_ID}`;
let cluster: LocalCluster;
let s: E2eStack | undefined;
let dir: string;
let url = "";


const PROGRAM = `import { App, AppInput, berthOutput } from "./components";

const spec: AppInput = {
    services: {
        web: {
            build: { context: "server" },
            command: ["/usr/local/bin/serve"],
            ports: [{ port: 8080, publish: 8080 }],
            replicas: 2,
            health: { readiness: { tcp: { port: 8080 }, intervalSeconds: 1 } },
            files: [
                { path: "/usr/local/bin/serve", content: ${JSON.stringify(FILES_SERVER)}, mode: 0o755 },
                { path: "/etc/files-e2e/message.txt", source: "config/message.txt" },
            ],
            security: { readOnlyRootFilesystem: true },
            resources: { cpu: { limit: "250m" }, memory: { limit: "64Mi" } },
        },
    },
};

export = async () => {
    const app = await App.create("files", { spec });
    return { url: app.urls.apply((u) => u.web), berth: berthOutput(app) };
};
`;

const message = (text: string) => fs.writeFileSync(path.join(dir, "config", "message.txt"), text);
const items = (kind: string) => cluster.items(kind, NS);
const answer = async () => (await fetch(`${url}/`)).text();
/** Polls until every answer in a row of 6 is `text` (both pods serve it), or fails after 90 s. */
async function untilServed(text: string): Promise<void> {
    const end = Date.now() + 90_000;
    let seen: string[] = [];
    while (Date.now() < end) {
        seen = await Promise.all(Array.from({ length: 6 }, () => answer().catch((e) => `error ${(e as Error).message}`)));
        if (seen.every((a) => a === text)) return;
        await new Promise((r) => setTimeout(r, 1000));
    }
    throw new Error(`not served ${JSON.stringify(text)} within 90 s; last answers ${JSON.stringify(seen)}`);
}

beforeAll(async () => {
    cluster = localCluster();
    expect(() => cluster.kubectl("get", "namespace", NS)).toThrow(/NotFound/);
    dir = branchOfProgram((d) => {
        fs.writeFileSync(path.join(d, "index.ts"), PROGRAM);
        fs.mkdirSync(path.join(d, "config"));
        fs.mkdirSync(path.join(d, "server"));
        fs.writeFileSync(path.join(d, "server", "Dockerfile"), "FROM berth/debian:bookworm\n");
    });
    message(`first ${RUN_ID}\n`);
    s = await newStack(STACK, {
        target: "kubernetes",
        kubernetes: { kubeconfig: cluster.kubeconfig, context: "berth-local", namespace: NS, serviceType: "NodePort", registry: "127.0.0.1:5000" },
    }, {}, dir);
    const up = await s.stack.up({ onOutput: progress(`${STACK} up`) });
    url = up.outputs.url.value as string;
}, 1_200_000);

afterAll(async () => {
    try {
        await teardown(s, cluster, NS);
    } finally {
        if (dir) {
            // The image the registry push left on the local engine (its tag is the context's hash).
            const image = `127.0.0.1:5000/berth-web:${contextHash(path.join(dir, "server"))}`;
            if (run("docker", ["image", "ls", "-q", image]).trim()) run("docker", ["image", "rm", image]);
            fs.rmSync(dir, { recursive: true, force: true });
        }
    }
}, 600_000);

describe("files on Kubernetes", () => {
    let first = { configMap: "", pods: [] as string[] };

    it("the pods answer with the file from the ConfigMap, mounted alone under a read-only root", async () => {
        expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
        await untilServed(`first ${RUN_ID}\n`);
        const maps = items("configmaps").map((c) => c.metadata.name).filter((n: string) => n.startsWith("web-files-"));
        expect(maps).toEqual([expect.stringMatching(/^web-files-[0-9a-f]{10}$/)]);
        const web = items("deployments").find((d) => d.metadata.name === "web");
        const pod = web.spec.template.spec;
        expect(pod.volumes.find((v: any) => v.name === "files").configMap.name).toBe(maps[0]);
        expect(pod.containers[0].securityContext.readOnlyRootFilesystem).toBe(true);
        expect(pod.containers[0].volumeMounts.filter((m: any) => m.name === "files").map((m: any) => m.mountPath)).toEqual(["/usr/local/bin/serve", "/etc/files-e2e/message.txt"]);
        first = { configMap: maps[0], pods: items("pods").map((p) => p.metadata.name).sort() };
        console.log(`[files-k8s] ${first.pods.join(", ")} serve the first content from ${first.configMap}`);
    });

    it("a new content is a new ConfigMap: the pods roll and answer with it, and the old ConfigMap is gone", async () => {
        message(`second ${RUN_ID}\n`);
        const up = await s!.stack.up({ onOutput: progress(`${STACK} up 2`) });
        console.log(`[files-k8s] second up: ${JSON.stringify(up.summary.resourceChanges)}`);
        await untilServed(`second ${RUN_ID}\n`);
        const maps = items("configmaps").map((c) => c.metadata.name).filter((n: string) => n.startsWith("web-files-"));
        expect(maps).toEqual([expect.stringMatching(/^web-files-[0-9a-f]{10}$/)]);
        expect(maps[0]).not.toBe(first.configMap);
        await until("the old pods to be gone", () => items("pods").every((p) => !first.pods.includes(p.metadata.name)), 120_000);
    }, 900_000);

    it("previews with no changes", async () => {
        await s!.stack.preview({ expectNoChanges: true, onOutput: progress(`${STACK} preview`) });
    }, 600_000);
});
