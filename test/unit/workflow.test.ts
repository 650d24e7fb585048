// The CI workflow berth ships for its users cannot run here; actionlint (built
// by setup from Go modules) checks it, and the tests below check what its
// steps hand to berth: npm scripts that exist, command lines that berth's CLI
// accepts (parsed by scripts/berth.ts's own parser), stacks that have a stack
// file, and the summary file the comment step posts being the one the summary
// step writes.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { parseArgs } from "../../scripts/berth";

const REPO = path.resolve(__dirname, "../..");
const WORKFLOW = path.join(REPO, ".github/workflows/preview.yml");
const ACTIONLINT = path.join(process.env.BERTH_CACHE ?? path.join(os.homedir(), ".cache/berth"), "tools/actionlint-v1.7.12");

interface Step {
    name?: string;
    run?: string;
    with?: { script?: string };
}
const jobs = (yaml.load(fs.readFileSync(WORKFLOW, "utf8")) as { jobs: Record<string, { steps: Step[] }> }).jobs;
const steps = Object.values(jobs).flatMap((j) => j.steps);
/** Every `npm run [--silent] NAME [-- ARGS]` in the workflow's run steps. */
const npmRuns = steps
    .flatMap((s) => (s.run ?? "").split("\n"))
    .map((l) => /^\s*npm run (?:--silent )?([a-z:]+)(?: -- (.*))?$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ script: m[1], args: m[2] ? m[2].trim().split(/\s+/) : [] }));
const stackFile = (stack: string) => path.join(REPO, "stacks", `Pulumi.${stack}.yaml`);
const targetOf = (stack: string) => (yaml.load(fs.readFileSync(stackFile(stack), "utf8")) as { config: Record<string, unknown> }).config["berth:target"];

describe(".github/workflows/preview.yml", () => {
    it("passes actionlint", () => {
        if (!fs.existsSync(ACTIONLINT)) throw new Error(`actionlint is missing at ${ACTIONLINT}: run npm run setup, which builds it`);
        expect(execFileSync(ACTIONLINT, ["-no-color", WORKFLOW], { encoding: "utf8" })).toBe("");
    });

    it("runs only npm scripts that package.json has", () => {
        const scripts = JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")).scripts;
        expect(npmRuns.length).toBeGreaterThan(0);
        for (const r of npmRuns) expect(scripts[r.script], `npm run ${r.script}`).toBeDefined();
    });

    it("gives the summary a command line berth's CLI accepts, for stacks that have a stack file, and posts the file it writes", () => {
        const summaries = npmRuns.filter((r) => r.script === "summary" || r.script === "drift");
        expect(summaries.length).toBeGreaterThan(0);
        for (const r of summaries) {
            const c = parseArgs([r.script, ...r.args]);
            expect(c, `npm run ${r.script} -- ${r.args.join(" ")}`).toBeDefined();
            for (const stack of c!.stacks) expect(["docker", "kubernetes"], `stacks/Pulumi.${stack}.yaml's berth:target`).toContain(targetOf(stack));
            if (c!.policyConfig) expect(fs.existsSync(path.join(REPO, c!.policyConfig))).toBe(true);
        }
        // The comment step reads the file that the summary step wrote with --out.
        const outs = summaries.map((r) => parseArgs([r.script, ...r.args])!.out).filter((o): o is string => !!o);
        expect(outs.length).toBeGreaterThan(0);
        const comment = steps.find((s) => s.with?.script?.includes("createComment"));
        expect(comment, "the step that posts the summary comment").toBeDefined();
        const read = [...comment!.with!.script!.matchAll(/readFileSync\("([^"]+)"/g)].map((m) => m[1]);
        expect(read.length).toBeGreaterThan(0);
        for (const f of read) expect(outs).toContain(f);
    });

    it("deploys only stacks that have a stack file with a target (what scripts/up requires)", () => {
        const ups = npmRuns.filter((r) => r.script === "up");
        expect(ups.length).toBeGreaterThan(0);
        for (const r of ups) {
            expect(r.args.length, `npm run up names its stack: ${r.args.join(" ")}`).toBe(1);
            expect(["docker", "kubernetes"]).toContain(targetOf(r.args[0]));
        }
    });
});
