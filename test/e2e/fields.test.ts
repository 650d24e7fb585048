// The Compose-shaped fields of issue 12, on the real engine and the local
// Docker engine, read back from `docker inspect` and from inside the
// containers (stack `fields-<run>`):
//  - build `target` and `args`: the image is the named stage (not the last
//    one), built with the argument;
//  - `security.user` by name: the process runs as that user;
//  - `labels`: on the container, beside berth's own;
//  - `restart: "on-failure:3"`: the engine's policy and its retry count;
//  - `aliases`: a peer reaches the service by its alias on their network;
//  - `args` as one string: split into words as Compose splits it.
// A preview after the up shows no change; destroy leaves nothing.
import * as fs from "fs";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { E2eStack, RUN_ID, branchOfProgram, newStack, progress, requireDockerTarget, run, teardownDocker } from "./engine";

const STACK = `fields-${RUN_ID}`;

const spec = {
    services: {
        api: {
            build: { context: "fields/api", target: "runtime", args: { GREETING: `built ${RUN_ID}` } },
            args: "sleep 'infinity'",
            security: { user: "nobody" },
            labels: { "com.example.team": "payments", "com.example.tier": "backend" },
            restart: "on-failure:3",
        },
        peer: {
            build: { context: "fields/api", target: "runtime" },
            args: ["sleep", "infinity"],
            ports: [{ port: 8080 }],
            aliases: ["legacy-db"],
        },
    },
};

interface Inspected {
    Config: { User: string; Labels: Record<string, string>; Cmd: string[] };
    HostConfig: { RestartPolicy: { Name: string; MaximumRetryCount: number } };
}

function containerOf(service: string): { id: string; inspected: Inspected } {
    const ids = run("docker", ["ps", "-q", "--filter", `label=berth.dev/stack=${STACK}`, "--filter", `label=berth.dev/service=${service}`]).split("\n").filter(Boolean);
    expect(ids, service).toHaveLength(1);
    return { id: ids[0], inspected: (JSON.parse(run("docker", ["inspect", ids[0]])) as Inspected[])[0] };
}

describe("docker target: build target and args, user by name, labels, on-failure:N, aliases", () => {
    let s: E2eStack | undefined;
    let dir = "";

    beforeAll(async () => {
        requireDockerTarget();
        dir = branchOfProgram((d) => {
            fs.writeFileSync(
                path.join(d, "index.ts"),
                `import { App, berthOutput } from "./components";\nimport { AppInput } from "./components/spec";\nconst spec: AppInput = ${JSON.stringify(spec, null, 4)};\nexport = async () => {\n    const app = await App.create("fields", { spec });\n    return { berth: berthOutput(app) };\n};\n`,
            );
            const ctx = path.join(d, "fields", "api");
            fs.mkdirSync(ctx, { recursive: true });
            // The last stage is not the target: without `target` the image says "the last stage".
            fs.writeFileSync(
                path.join(ctx, "Dockerfile"),
                'FROM berth/debian:bookworm AS runtime\nARG GREETING="no build argument"\nRUN echo "$GREETING" > /greeting\n\nFROM runtime AS last\nRUN echo "the last stage" > /greeting\n',
            );
        });
        s = await newStack(STACK, { target: "docker" }, {}, dir);
        const up = await s.stack.up({ onOutput: progress(STACK) });
        expect(up.summary.result).toBe("succeeded");
    }, 900_000);

    afterAll(async () => {
        try {
            await teardownDocker(s, STACK);
        } finally {
            if (dir) fs.rmSync(dir, { recursive: true, force: true });
        }
    }, 300_000);

    it("builds the target stage with the build argument", () => {
        expect(run("docker", ["exec", containerOf("api").id, "cat", "/greeting"]).trim()).toBe(`built ${RUN_ID}`);
        expect(run("docker", ["exec", containerOf("peer").id, "cat", "/greeting"]).trim()).toBe("no build argument");
    });

    it("runs as the named user, with the service's labels and its restart policy, and the string args split into words", () => {
        const { id, inspected } = containerOf("api");
        expect(inspected.Config.User).toBe("nobody");
        expect(run("docker", ["exec", id, "id", "-un"]).trim()).toBe("nobody");
        expect(inspected.Config.Labels).toMatchObject({ "com.example.team": "payments", "com.example.tier": "backend", "berth.dev/service": "api" });
        expect(inspected.HostConfig.RestartPolicy).toEqual({ Name: "on-failure", MaximumRetryCount: 3 });
        expect(inspected.Config.Cmd).toEqual(["sleep", "infinity"]);
    });

    it("a peer reaches the service by its alias, at the service's own address", () => {
        const api = containerOf("api").id;
        const byAlias = run("docker", ["exec", api, "getent", "hosts", "legacy-db"]).trim().split(/\s+/)[0];
        const byName = run("docker", ["exec", api, "getent", "hosts", "peer"]).trim().split(/\s+/)[0];
        expect(byAlias).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
        expect(byAlias).toBe(byName);
    });

    it("a preview shows no change, and destroy leaves no container or network", async () => {
        await s!.stack.preview({ expectNoChanges: true, onOutput: progress(`${STACK} preview`) });
        await s!.stack.destroy({ onOutput: progress(`${STACK} destroy`) });
        for (const what of ["container", "network", "volume"]) {
            expect(run("docker", [what, "ls", ...(what === "container" ? ["-a"] : []), "-q", "--filter", `label=berth.dev/stack=${STACK}`]).trim(), what).toBe("");
        }
    });
});
