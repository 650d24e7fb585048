// Two `pulumi up` on one stack at once (issue 15, item 3): the file backend's
// stack lock lets at most one proceed; the other is refused with Pulumi's
// message ("the stack is currently locked ...") before it changes anything;
// nothing is corrupted: the stack has one update in its history, no pending
// operations and no lock left behind, a preview and a refresh find no
// changes, and the app answers on 127.0.0.1.
//
// The cheapest stack that proves it: the Docker target with a branch of the
// program whose app is one tiny service (a Perl HTTP responder on the local
// Debian base image, no registry, no database), published on
// E2E_PUBLISH_PORT through berth's generated load balancer.
//
// A missing Docker engine or plugin FAILS this suite with what is missing.
import * as fs from "fs";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { E2E_PUBLISH_PORT, E2eStack, REPO, RUN_ID, branchOfProgram, newStack, progress, requireDockerTarget, requirePortFree, requireTool, run, teardownDocker } from "./engine";

const STACK = `e2e-concurrency-${RUN_ID}`;
const PREFIX = `berth-${STACK}`;
const URL = `http://127.0.0.1:${E2E_PUBLISH_PORT}`;
const LOCKED = /the stack is currently locked/;

const SERVER_PL = `use strict; use IO::Socket::INET;
my $s = IO::Socket::INET->new(LocalAddr => "0.0.0.0", LocalPort => 8080, Listen => 16, ReuseAddr => 1) or die "listen: $!";
$SIG{PIPE} = "IGNORE";
while (my $c = $s->accept) {
    eval {
        local $SIG{ALRM} = sub { die "timeout\\n" };
        alarm 2;
        while (my $h = <$c>) { last if $h =~ /^\\r?\\n$/; }
        alarm 0;
        my $body = "berth concurrency e2e\\n";
        print $c "HTTP/1.0 200 OK\\r\\nContent-Type: text/plain\\r\\nContent-Length: " . length($body) . "\\r\\nConnection: close\\r\\n\\r\\n" . $body;
    };
    close $c;
}
`;

/** A branch whose app is one tiny service that answers every GET with 200, published on E2E_PUBLISH_PORT. */
function tinyBranch(): string {
    return branchOfProgram((dir) => {
        const ctx = path.join(dir, "services/tiny");
        fs.mkdirSync(ctx);
        fs.writeFileSync(path.join(ctx, "server.pl"), SERVER_PL);
        fs.writeFileSync(path.join(ctx, "Dockerfile"), 'FROM berth/debian:bookworm\nCOPY server.pl /server.pl\nUSER nobody\nCMD ["perl", "/server.pl"]\n');
        fs.writeFileSync(
            path.join(dir, "services/demo.ts"),
            `import { AppInput } from "../components/spec";
export const demo = {
    services: {
        web: {
            build: { context: "services/tiny" },
            ports: [{ port: 8080, publish: ${E2E_PUBLISH_PORT} }],
            health: { readiness: { http: { path: "/healthz", port: 8080 }, intervalSeconds: 1 } },
            resources: { cpu: { limit: "250m" }, memory: { limit: "64Mi" } },
        },
    },
} satisfies AppInput;
`,
        );
    });
}

/** The stack's containers, networks and volumes on the engine, by berth's labels and names. */
function onEngine() {
    const ids = (kind: string) => run("docker", [kind, "ls", ...(kind === "container" ? ["-a"] : []), "-q", "--filter", `label=berth.dev/stack=${STACK}`]).split("\n").filter(Boolean);
    return { containers: ids("container"), networks: ids("network"), volumes: ids("volume") };
}

describe("concurrent runs on one stack", () => {
    let s: E2eStack | undefined;
    const branch = tinyBranch();
    const state = path.join(REPO, ".pulumi-state/.pulumi");
    const lockDir = path.join(state, "locks/organization/berth", STACK);

    beforeAll(async () => {
        requireDockerTarget();
        requireTool("the base image berth/debian:bookworm", () => run("docker", ["image", "inspect", "berth/debian:bookworm"]), "npm run setup builds it");
        requirePortFree(E2E_PUBLISH_PORT);
        s = await newStack(STACK, { target: "docker", docker: { publishAddress: "127.0.0.1" } }, {}, branch);
    });

    afterAll(async () => {
        try {
            await teardownDocker(s, STACK);
            // Destroy removed the containers and networks; the volumes and built images teardownDocker removes.
            expect(onEngine()).toEqual({ containers: [], networks: [], volumes: [] });
            expect(fs.existsSync(path.join(REPO, "stacks", `Pulumi.${STACK}.yaml`))).toBe(false);
        } finally {
            fs.rmSync(branch, { recursive: true, force: true });
            // What the file backend keeps of a removed stack: its lock folder, history, backups and last state (.bak).
            for (const p of [lockDir, path.join(state, "history/berth", STACK), path.join(state, "backups/berth", STACK), path.join(state, "stacks/berth", `${STACK}.json.bak`), path.join(state, "stacks/berth", `${STACK}.json.bak.attrs`)]) {
                fs.rmSync(p, { recursive: true, force: true });
            }
        }
    });

    it("two `pulumi up` at once: at most one proceeds, the other is refused with 'the stack is currently locked' (red if the backend lets both run, or a refusal is not the lock's)", async () => {
        const started = Date.now();
        const ups = await Promise.allSettled([1, 2].map((n) => s!.stack.up({ onOutput: progress(`up ${n}`) })));
        const seconds = ((Date.now() - started) / 1000).toFixed(1);
        const ok = ups.filter((u) => u.status === "fulfilled");
        const refused = ups.filter((u): u is PromiseRejectedResult => u.status === "rejected").map((u) => String((u.reason as Error)?.message ?? u.reason));
        console.log(`two concurrent ups in ${seconds} s: ${ok.length} proceeded, ${refused.length} refused`);
        for (const m of refused) console.log(`refusal: ${(m.split("\n").find((l) => LOCKED.test(l)) ?? m).trim()}`);
        expect(ok.length).toBeLessThanOrEqual(1);
        expect(refused.length).toBeGreaterThanOrEqual(1);
        for (const m of refused) expect(m).toMatch(LOCKED);
        if (ok.length === 0) {
            // Both wrote their lock at the same instant and each saw the other's: both refused, and the stack is as before.
            console.log("both refused (a simultaneous lock); a third up deploys");
            await s!.stack.up({ onOutput: progress("up 3") });
        }
    });

    it("nothing is corrupted: one update in the history, no pending operations, no lock left; preview and refresh find no changes; the app answers on 127.0.0.1 (red if the refused run left state or resources behind)", async () => {
        const history = await s!.stack.history();
        expect(history.map((h) => [h.kind, h.result])).toEqual([["update", "succeeded"]]);
        const state = await s!.stack.exportStack();
        expect(state.deployment.pending_operations ?? []).toEqual([]);
        expect(fs.existsSync(lockDir) ? fs.readdirSync(lockDir) : []).toEqual([]);
        // web's one replica and its load balancer; the default network; no volume.
        const engine = onEngine();
        expect([engine.containers.length, engine.networks.length, engine.volumes.length]).toEqual([2, 1, 0]);
        await s!.stack.preview({ expectNoChanges: true, onOutput: progress("preview") });
        await s!.stack.refresh({ expectNoChanges: true, onOutput: progress("refresh") });
        const outputs = await s!.stack.outputs();
        expect(outputs.url.value).toBe(URL);
        const res = await fetch(URL, { signal: AbortSignal.timeout(10_000) });
        expect(res.status).toBe(200);
        expect(await res.text()).toBe("berth concurrency e2e\n");
        expect(run("docker", ["image", "ls", "--format", "{{.Repository}}"]).split("\n").filter((r) => r.startsWith(PREFIX)).sort()).toEqual([`${PREFIX}-lb`, `${PREFIX}-web`]);
    });
});
