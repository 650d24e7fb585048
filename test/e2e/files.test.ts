// A service's files on the real engine and Docker (issue 12): a program whose
// two services run a server that is itself an inline file (mode 0755) and
// answer with a config file read from the program's folder (`source`). One
// gets the files uploaded; the other has a read-only root filesystem, where
// the engine refuses uploads, and gets them bind-mounted from berth's cache.
// up: both answer with the file; the file's content changes and up replaces
// both containers, which answer with the new content; a preview then finds no
// changes; destroy leaves nothing of the stack.
//
// A missing Docker engine or plugin FAILS this suite with what is missing.
import * as fs from "fs";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { E2eStack, RUN_ID, branchOfProgram, newStack, progress, requireDockerTarget, requirePortFree, run, teardownDocker } from "./engine";
import { FILES_SERVER } from "./files-server";
import { CHECKER } from "../../components/checker";

const STACK = `files-${RUN_ID}`;
const PORT = 18095;
let s: E2eStack | undefined;
let dir: string;
/** The files of berth's cache that the read-only service mounted (the test removes them: berth keeps its cache). */
const cached = new Set<string>();
/** The host files bind-mounted as the service's own files (berth's health checker, mounted beside them under a read-only root, left out). */
const mountSources = (container: string) =>
    (JSON.parse(run("docker", ["inspect", container]))[0].Mounts as { Source: string; Destination: string }[]).filter((m) => m.Destination !== CHECKER).map((m) => m.Source);

/** The server: answers every request with /etc/files-e2e/message.txt as it is now. */

const PROGRAM = `import { App, AppInput, berthOutput } from "./components";

const server = (extra: Record<string, unknown>) => ({
    image: "berth/debian:bookworm",
    command: ["/usr/local/bin/serve"],
    ports: [{ port: 8080 }],
    health: { readiness: { tcp: { port: 8080 }, intervalSeconds: 1 } },
    files: [
        { path: "/usr/local/bin/serve", content: ${JSON.stringify(FILES_SERVER)}, mode: 0o755 },
        { path: "/etc/files-e2e/message.txt", source: "config/message.txt" },
    ],
    resources: { cpu: { limit: "250m" }, memory: { limit: "64Mi" } },
    ...extra,
});
const spec: AppInput = {
    services: {
        web: server({ ports: [{ port: 8080, publish: ${PORT} }] }),
        locked: server({ security: { readOnlyRootFilesystem: true } }),
    },
};

export = async () => {
    const app = await App.create("files", { spec });
    return { url: app.urls.apply((u) => u.web), berth: berthOutput(app) };
};
`;

const message = (text: string) => fs.writeFileSync(path.join(dir, "config", "message.txt"), text);
const byLabel = (what: "container" | "network" | "volume") =>
    run("docker", [what, "ls", ...(what === "container" ? ["-a"] : []), "-q", "--filter", `label=berth.dev/stack=${STACK}`]).split("\n").filter(Boolean);
const containerOf = (service: string) => run("docker", ["ps", "-q", "--filter", `label=berth.dev/stack=${STACK}`, "--filter", `label=berth.dev/service=${service}`, "--filter", "label=berth.dev/replica=0"]).trim();
/** What `locked` answers, asked from inside its container (it publishes nothing). */
const lockedAnswers = () =>
    run("docker", ["exec", containerOf("locked"), "bash", "-c", 'exec 3<>/dev/tcp/127.0.0.1/8080 && printf "GET / HTTP/1.0\\r\\n\\r\\n" >&3 && cat <&3']).split("\r\n\r\n")[1];
const webAnswers = async () => (await fetch(`http://127.0.0.1:${PORT}/`)).text();

beforeAll(async () => {
    requireDockerTarget();
    requirePortFree(PORT);
    dir = branchOfProgram((d) => {
        fs.writeFileSync(path.join(d, "index.ts"), PROGRAM);
        fs.mkdirSync(path.join(d, "config"));
    });
    message(`first ${RUN_ID}\n`);
    s = await newStack(STACK, { target: "docker" }, {}, dir);
    await s.stack.up({ onOutput: progress(`${STACK} up`) });
}, 1_200_000);

afterAll(async () => {
    try {
        await teardownDocker(s, STACK);
    } finally {
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
        for (const f of cached) fs.rmSync(path.dirname(f), { recursive: true, force: true });
    }
}, 600_000);

describe("files on Docker", () => {
    let before: Record<string, string> = {};

    it("both services answer with the file from the program's folder: uploaded, and bind-mounted under a read-only root", async () => {
        expect(await webAnswers()).toBe(`first ${RUN_ID}\n`);
        expect(lockedAnswers()).toBe(`first ${RUN_ID}\n`);
        before = { web: containerOf("web"), locked: containerOf("locked") };
        const locked = JSON.parse(run("docker", ["inspect", before.locked]))[0];
        expect(locked.HostConfig.ReadonlyRootfs).toBe(true);
        // Its two files, and berth's health checker (the engine refuses uploads into a read-only root).
        expect(locked.Mounts.map((m: any) => [m.Type, m.Destination, m.RW]).sort()).toEqual([
            ["bind", CHECKER, false],
            ["bind", "/etc/files-e2e/message.txt", false],
            ["bind", "/usr/local/bin/serve", false],
        ]);
        for (const f of mountSources(before.locked)) {
            expect(f).toMatch(/\/berth\/files\/[0-9a-f]{64}\/(serve|message\.txt)$/);
            cached.add(f);
        }
        const web = JSON.parse(run("docker", ["inspect", before.web]))[0];
        expect(web.Mounts).toEqual([]);
        // The uploaded server kept its mode.
        expect(run("docker", ["exec", before.web, "stat", "-c", "%a", "/usr/local/bin/serve"]).trim()).toBe("755");
        console.log(`[files] web ${before.web} and locked ${before.locked} answer with the first content`);
    });

    it("a new content replaces both containers, which answer with it", async () => {
        message(`second ${RUN_ID}\n`);
        const up = await s!.stack.up({ onOutput: progress(`${STACK} up 2`) });
        expect(up.summary.resourceChanges?.replace).toBe(2);
        // The load balancer finds the new container by DNS within a second or two.
        let answer = "";
        const end = Date.now() + 30_000;
        while (Date.now() < end && (answer = await webAnswers().catch(() => "")) !== `second ${RUN_ID}\n`) await new Promise((r) => setTimeout(r, 500));
        expect(answer).toBe(`second ${RUN_ID}\n`);
        expect(lockedAnswers()).toBe(`second ${RUN_ID}\n`);
        expect(containerOf("web")).not.toBe(before.web);
        expect(containerOf("locked")).not.toBe(before.locked);
        // The server's file is unchanged, so it is the same cache entry; the message is a new one.
        const now = mountSources(containerOf("locked"));
        expect(now.filter((f) => cached.has(f)).map((f) => path.basename(f))).toEqual(["serve"]);
        now.forEach((f) => cached.add(f));
        console.log(`[files] replaced: ${JSON.stringify(up.summary.resourceChanges)}`);
    }, 900_000);

    it("previews with no changes", async () => {
        await s!.stack.preview({ expectNoChanges: true, onOutput: progress(`${STACK} preview`) });
    }, 600_000);

    it("destroy leaves no container, network or volume of the stack", async () => {
        await s!.stack.destroy({ onOutput: progress(`${STACK} destroy`) });
        expect(byLabel("container")).toEqual([]);
        expect(byLabel("network")).toEqual([]);
        expect(byLabel("volume")).toEqual([]);
    }, 600_000);
});
