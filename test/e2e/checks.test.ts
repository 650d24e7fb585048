// Health checks and dependency waits in images without a shell, deployed by
// the real engine on the local Docker engine (issue 12). Two servers built
// here, each answering 200 only on one path that holds `'`, `%` and `$`:
//  - scratch: `FROM scratch` with nothing but a static busybox (Debian's
//    busybox-static) serving /www with its httpd; no shell at all;
//  - bb: a busybox-based image (busybox's applets installed as /bin/*, so a
//    /bin/sh but no bash), run as nobody on a read-only root filesystem (the
//    checker is bind-mounted there, since the engine refuses uploads);
//  - scratch-tcp: the scratch image with a tcp check;
// and a dependent that waits for all three healthy; scratch publishes 18431
// through the generated load balancer (its tcp check runs the checker too).
// Each server reaches healthy, the dependent starts after them, a mangled path
// is unhealthy, and a preview after the up shows no changes. Stack
// `checks-docker-<run>`.
import * as fs from "fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkerBinary } from "../../components/checker";
import { PATH, program } from "./checks-app";
import { E2eStack, RUN_ID, branchOfProgram, newStack, progress, requireDockerTarget, requirePortFree, run, teardownDocker } from "./engine";

const STACK = `checks-docker-${RUN_ID}`;
/** scratch's published port: its load balancer's tcp check runs the checker too. */
const PUBLISH = 18431;
interface Inspected {
    Id: string;
    Created: string;
    Image: string;
    State: { Running: boolean; StartedAt: string; Health?: { Status: string } };
    HostConfig: { ReadonlyRootfs: boolean };
    Mounts: { Type: string; Source: string; Destination: string; RW: boolean }[];
}
/** A service's one container (its replica, or with `role` its load balancer). */
function container(service: string, role?: "load-balancer"): Inspected {
    const ids = run("docker", ["ps", "-aq", "--filter", `label=berth.dev/stack=${STACK}`, "--filter", `label=berth.dev/service=${service}`])
        .split("\n")
        .filter(Boolean)
        .filter((id) => (run("docker", ["inspect", "--format", '{{index .Config.Labels "berth.dev/role"}}', id]).trim() || undefined) === role);
    expect(ids, service).toHaveLength(1);
    return (JSON.parse(run("docker", ["inspect", ids[0]])) as Inspected[])[0];
}
/** The exit code of a command run in a container. */
function exec(id: string, ...argv: string[]): number {
    try {
        run("docker", ["exec", id, ...argv]);
        return 0;
    } catch (e) {
        return (e as { status: number }).status;
    }
}

describe("docker target: checks and waits in images without a shell", () => {
    let s: E2eStack | undefined;
    let dir = "";

    beforeAll(async () => {
        requireDockerTarget();
        requirePortFree(PUBLISH);
        dir = branchOfProgram((d) => program(d, PUBLISH));
        s = await newStack(STACK, { target: "docker" }, {}, dir);
        await s.stack.up({ onOutput: progress(STACK) });
    });
    afterAll(async () => {
        try {
            await teardownDocker(s, STACK);
        } finally {
            if (dir) fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("has no shell in the scratch image, and no bash in the busybox-based one", () => {
        const image = container("scratch").Image;
        expect(() => run("docker", ["run", "--rm", "--entrypoint", "/bin/sh", image, "-c", "true"])).toThrow();
        const bb = container("bb").Image;
        expect(() => run("docker", ["run", "--rm", "--entrypoint", "/bin/bash", bb, "-c", "true"])).toThrow();
    });

    it("every server reaches healthy; the dependent starts after them", () => {
        const client = container("client");
        expect(client.State.Running).toBe(true);
        for (const svc of ["scratch", "scratch-tcp", "bb"]) {
            const c = container(svc);
            expect(c.State.Health?.Status, svc).toBe("healthy");
            expect(Date.parse(client.Created), `client created after ${svc} started`).toBeGreaterThan(Date.parse(c.State.StartedAt));
        }
    });

    it("the published port's load balancer is healthy by the checker's tcp check, and serves the exact path", async () => {
        const lb = container("scratch", "load-balancer");
        expect(lb.State.Health?.Status).toBe("healthy");
        expect(exec(lb.Id, "/.berth/busybox", "nc", "-w", "2", "127.0.0.1", String(PUBLISH), "-e", "/.berth/busybox", "true")).toBe(0);
        expect((await fetch(`http://127.0.0.1:${PUBLISH}${PATH}`)).status).toBe(200);
        expect((await fetch(`http://127.0.0.1:${PUBLISH}/ready/its/100%25/$HOME`)).status).toBe(404);
    });

    it("places the checker by upload, or by a read-only bind mount on a read-only root", () => {
        const scratch = container("scratch");
        expect(scratch.HostConfig.ReadonlyRootfs).toBe(false);
        expect(scratch.Mounts).toEqual([]);
        const bb = container("bb");
        expect(bb.HostConfig.ReadonlyRootfs).toBe(true);
        expect(bb.Mounts).toEqual([expect.objectContaining({ Type: "bind", Source: checkerBinary(), Destination: "/.berth/busybox", RW: false })]);
    });

    it("checks the exact path: the same check on a mangled path fails", () => {
        for (const svc of ["scratch", "bb"]) {
            const id = container(svc).Id;
            const get = (p: string) => exec(id, "/.berth/busybox", "wget", "-q", "-Y", "off", "-O", "/dev/null", `http://127.0.0.1:8080${p}`);
            expect(get(PATH), `${svc} ${PATH}`).toBe(0);
            for (const mangled of ["/ready/it's/100%2525/$HOME", "/ready/its/100%25/$HOME", "/ready/it's/100%25/", "/ready/it's/100%25/root"]) expect(get(mangled), `${svc} ${mangled}`).not.toBe(0);
        }
    });

    it("previews with no changes after the up (the upload and the bind mount read back as written)", async () => {
        await s!.stack.preview({ expectNoChanges: true, onOutput: progress(`${STACK} preview`) });
    });
});
