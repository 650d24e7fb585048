// Preview summaries on the real engine: a deployed staging-like stack on the
// local cluster, edited through its stack config, previewed by the engine, and
// summarised for a reviewer. The markdown is checked for each fact and for the
// absence of secret values; the CLI's exit code for a blocking finding too.
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { previewStack } from "../../review/preview";
import { policyConfigFor } from "../../review/stack";
import { summarize } from "../../review/summary";
import { E2eStack, LocalCluster, RUN_ID, branchOfProgram, localCluster, newStack, progress, run, teardown } from "./engine";

// BERTH_E2E_PREFIX (e.g. review-) names the run's stack and namespace for whoever shares the cluster.
const PREFIX = process.env.BERTH_E2E_PREFIX ?? "";
const NS = `${PREFIX || "berth-"}e2e-sum-${RUN_ID}`;
const STACK = `${PREFIX}e2e-sum-${RUN_ID}`;
const PASSWORD = `pw-${randomBytes(12).toString("hex")}`;
const NEW_PASSWORD = `pw-${randomBytes(12).toString("hex")}`;

describe("preview summaries and drift checks on a deployed stack", () => {
    let s: E2eStack;
    let cluster: LocalCluster;
    let kubectl: (...a: string[]) => string;
    // The stack plays staging: staging's policy config makes every policy mandatory.
    const summary = async () => summarize(await previewStack(STACK, s.env, policyConfigFor("staging")));
    const cli = (cmd: string) => run("node", ["-r", "ts-node/register/transpile-only", "scripts/berth.ts", cmd, STACK, "--policy-config", "policies/config/staging.json"], s.env);
    /** The CLI's exit code and output when it fails; code 0 when it does not. */
    const cliFailure = (cmd: string): { code: number; out: string } => {
        try {
            return { code: 0, out: cli(cmd) };
        } catch (e) {
            return { code: (e as { status: number }).status, out: String((e as { stdout: string }).stdout) };
        }
    };
    const setServices = (v: unknown) => s.stack.setConfig("berth:services", { value: JSON.stringify(v) });

    beforeAll(async () => {
        cluster = localCluster();
        const kubeconfig = cluster.kubeconfig;
        kubectl = cluster.kubectl;
        expect(() => kubectl("get", "namespace", NS)).toThrow(/NotFound/);
        s = await newStack(
            STACK,
            { target: "kubernetes", kubernetes: { kubeconfig, context: "berth-local", namespace: NS, serviceType: "NodePort", registry: "127.0.0.1:5000" } },
            { dbPassword: PASSWORD },
        );
        await s.stack.up({ onOutput: progress("sum up") });
    });

    afterAll(() => teardown(s, cluster, NS));

    it("says nothing changes right after up, and the drift check passes", async () => {
        const sum = await summary();
        expect(sum.markdown).toContain("- nothing in the app changes");
        expect(sum.markdown).toContain("| 0 | 0 | 0 | 0 |");
        expect(sum.blocking).toEqual([]);
        expect(sum.policies).toEqual([]);
        expect(sum.markdown).toContain("### Policies\n\n- ✅ no findings\n- enforcement: policies/config/staging.json");
        const drift = cli("drift");
        expect(drift).toContain(`no drift: ${STACK} matches its program and the live resources`);
    });

    it("tells a reviewer what scaling web, a new env var and a new secret value do, without the value", async () => {
        await setServices({ web: { scaling: { min: 4, max: 6, cpuPercent: 70 }, env: { FEATURE_GREETING: "hello" } } });
        await s.stack.setConfig("berth:dbPassword", { value: NEW_PASSWORD, secret: true });
        const sum = await summary();
        expect(sum.markdown).toContain(
            "- **web**: scaling rule 2..6 at 70% cpu -> 4..6 at 70% cpu; new env var FEATURE_GREETING; secret PGPASSWORD value changed (not shown) (",
        );
        // A new value is a new Secret, and the Deployment follows it to the new name: db's pods roll.
        const dbLine = sum.markdown.split("\n").find((l) => l.startsWith("- **db**: "));
        expect(dbLine).toMatch(/^- \*\*db\*\*: secret POSTGRES_PASSWORD value changed \(not shown\) \(.*\)$/);
        expect(dbLine).toContain("replace Secret");
        expect(dbLine).toContain("update Deployment");
        expect(sum.markdown).toContain("class svc_web changed");
        expect(sum.danger).toEqual([]);
        for (const secret of [PASSWORD, NEW_PASSWORD]) expect(sum.markdown).not.toContain(secret);
        await s.stack.setConfig("berth:dbPassword", { value: PASSWORD, secret: true });
    });

    it("puts a blocked volume replacement first, and the CLI exits non-zero", async () => {
        // A branch that scales web and touches the db volume.
        await setServices({ web: { scaling: { min: 3, max: 6, cpuPercent: 70 } } });
        await s.stack.setConfig("berth:volumes", { value: JSON.stringify({ pgdata: { access: "ReadWriteMany" } }) });
        // Later tests start from the deployed config, whatever this one finds.
        try {
            const sum = await summary();
            const lines = sum.markdown.split("\n");
            expect(lines.slice(0, 5).join("\n")).toContain(
                "- **volume pgdata would be REPLACED (its data lost)**: access ReadWriteOnce -> ReadWriteMany. **Blocked**: the volume does not allow data loss",
            );
            expect(sum.markdown).toContain("class vol_pgdata changed");
            // Kept for a reader: what this branch's summary renders as.
            fs.writeFileSync(path.join(os.tmpdir(), "berth-e2e-summary-example.md"), sum.markdown);
            // Beside it, the pack's section says it judged nothing: berth refused before any resource was registered.
            expect(sum.markdown).toContain("### Policies\n\n- not checked: the program stopped before it registered any resource");
            expect(cliFailure("summary").code).toBe(1);
        } finally {
            await s.stack.removeConfig("berth:volumes");
            await s.stack.removeConfig("berth:services");
        }
    });

    it("flags a service published beyond the host (a mandatory policy too) and one dropped to zero replicas", async () => {
        await s.stack.setConfig("berth:kubernetes", {
            value: JSON.stringify({ ...JSON.parse((await s.stack.getConfig("berth:kubernetes")).value), serviceType: "LoadBalancer" }),
        });
        await setServices({ worker: { replicas: 0 } });
        const sum = await summary();
        expect(sum.danger).toContain("**service web is published beyond this host** (LoadBalancer)");
        expect(sum.danger).toContain("**service worker drops to zero replicas**");
        expect(sum.markdown).toContain("- **worker**: replicas 1 -> 0");
        const finding = "[mandatory] berth-published-ports: demo-web-published-service is a LoadBalancer Service; this stack allows ClusterIP, NodePort (berth:kubernetes.serviceType).";
        expect(sum.policies).toEqual([finding]);
        expect(sum.blocking).toEqual([`policy ${finding}`]);
        expect(sum.markdown).toContain(`### Policies\n\n- ❌ ${finding}\n`);
        expect(cliFailure("summary").code).toBe(1);
    });

    it("the drift check fails when a live object was changed behind the engine's back", async () => {
        await s.stack.setConfig("berth:kubernetes", {
            value: JSON.stringify({ ...JSON.parse((await s.stack.getConfig("berth:kubernetes")).value), serviceType: "NodePort" }),
        });
        await s.stack.removeConfig("berth:services");
        kubectl("patch", "networkpolicy", "default-deny", "-n", NS, "--type=merge", "-p", '{"spec":{"policyTypes":["Ingress"]}}');
        const { code, out } = cliFailure("drift");
        expect(code).toBe(1);
        expect(out).toMatch(/### Drift found by refresh\n\n- update kubernetes:networking.k8s.io\/v1:NetworkPolicy demo-default-deny/);
    });

    it("reads a branch that deletes a service and changes an image's build", async () => {
        const branch = branchOfProgram((dir) => {
            const demo = path.join(dir, "services/demo.ts");
            const src = fs.readFileSync(demo, "utf8").replace(/\n {8}worker: \{[\s\S]*?\n {8}\},/, "");
            expect(src).not.toMatch(/worker:/);
            fs.writeFileSync(demo, src);
            fs.appendFileSync(path.join(dir, "services/web/server.js"), "\n// changed on the branch\n");
        });
        try {
            const sum = summarize(await previewStack(STACK, s.env, policyConfigFor("staging"), branch));
            expect(sum.danger).toContain("**service worker would be deleted**");
            expect(sum.markdown).toContain("- **worker**: **service deleted**");
            const web = /- \*\*web\*\*: image build services\/web@([0-9a-f]{12}) -> build services\/web@([0-9a-f]{12})/.exec(sum.markdown);
            expect(web, sum.markdown).not.toBeNull();
            expect(web![1]).not.toBe(web![2]);
            expect(sum.blocking).toEqual([]);
        } finally {
            fs.rmSync(branch, { recursive: true, force: true });
        }
    });
});
