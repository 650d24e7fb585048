// What berth decides per stack is decided once, in scripts/lib.sh, and every
// consumer gets the same answer: the dev passphrase (scripts/bin/pulumi and
// the review tooling's Automation API workspaces) and the policy config
// (scripts/up and npm run summary/drift). The shell consumers run for real in
// bash against a stand-in pulumi that prints what it was given.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";
import { policyConfigFor, REPO, stackEnv } from "../../review/stack";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "berth-stack-decisions-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

// A stand-in pulumi: `stack --show-name` answers none selected, `stack output` nothing; anything else prints its passphrase and arguments.
const fakeBin = path.join(tmp, "bin");
fs.mkdirSync(fakeBin);
fs.writeFileSync(
    path.join(fakeBin, "pulumi"),
    '#!/bin/sh\ncase "$1 $2" in "stack --show-name"|"stack output") exit 0 ;; esac\necho "passphrase=${PULUMI_CONFIG_PASSPHRASE:-none} args=$*"\n',
    { mode: 0o755 },
);
const basePath = process.env.PATH!;

describe("the dev passphrase", () => {
    const wrapper = (stack: string) =>
        execFileSync("bash", [path.join(REPO, "scripts/bin/pulumi"), "preview", "--stack", stack], { env: { PATH: basePath, BERTH_PULUMI_BIN: fakeBin }, encoding: "utf8" })
            .trim()
            .replace(/^passphrase=(\S+) .*$/, "$1");

    it("is the same for the review tooling's workspaces as for plain pulumi, and only dev has one", () => {
        const dev = wrapper("dev");
        expect(dev).not.toBe("none");
        expect(stackEnv("dev", { PATH: basePath }).PULUMI_CONFIG_PASSPHRASE).toBe(dev);
        expect(stackEnv("organization/berth/dev", { PATH: basePath }).PULUMI_CONFIG_PASSPHRASE).toBe(wrapper("organization/berth/dev"));
        for (const stack of ["staging", "prod", "review-x"]) {
            expect(wrapper(stack)).toBe("none");
            expect(stackEnv(stack, { PATH: basePath }).PULUMI_CONFIG_PASSPHRASE).toBeUndefined();
        }
    });

    it("never replaces the user's passphrase or passphrase file", () => {
        expect(stackEnv("dev", { PATH: basePath, PULUMI_CONFIG_PASSPHRASE: "mine" }).PULUMI_CONFIG_PASSPHRASE).toBe("mine");
        const withFile = stackEnv("dev", { PATH: basePath, PULUMI_CONFIG_PASSPHRASE_FILE: "/f" });
        expect(withFile.PULUMI_CONFIG_PASSPHRASE).toBeUndefined();
        expect(withFile.PULUMI_CONFIG_PASSPHRASE_FILE).toBe("/f");
    });
});

describe("the policy config of a stack", () => {
    // A copy of scripts/up and scripts/lib.sh in a repo of their own, whose setup does nothing and whose env puts the stand-in pulumi first.
    const repo = path.join(tmp, "repo");
    fs.mkdirSync(path.join(repo, "scripts"), { recursive: true });
    for (const f of ["up", "lib.sh"]) fs.copyFileSync(path.join(REPO, "scripts", f), path.join(repo, "scripts", f));
    fs.writeFileSync(path.join(repo, "scripts/setup"), "exit 0\n");
    // npm run up recovers a crashed stack first (scripts/recover.ts, tested in recover.test.ts): here a stand-in that finds nothing to do.
    fs.writeFileSync(path.join(repo, "scripts/recover.ts"), "// stand-in: nothing to recover\n");
    fs.symlinkSync(path.join(REPO, "node_modules"), path.join(repo, "node_modules"));
    fs.copyFileSync(path.join(REPO, "tsconfig.json"), path.join(repo, "tsconfig.json"));
    fs.writeFileSync(path.join(repo, "scripts/env"), `export PATH="${fakeBin}:$PATH"\n`);
    fs.cpSync(path.join(REPO, "policies/config"), path.join(repo, "policies/config"), { recursive: true });
    fs.mkdirSync(path.join(repo, "stacks"));
    const stacks = ["dev", "staging", "prod", "review-noconfig"];
    for (const s of stacks) fs.writeFileSync(path.join(repo, "stacks", `Pulumi.${s}.yaml`), "config:\n  berth:target: docker\n");

    /** The --policy-pack-config that `npm run up -- STACK` hands the engine, from the repo's folder; undefined without one. */
    const upPolicyConfig = (stack: string): string | undefined => {
        const out = execFileSync("bash", [path.join(repo, "scripts/up"), stack], { env: { PATH: basePath, HOME: tmp, PULUMI_CONFIG_PASSPHRASE: "x" }, encoding: "utf8" });
        const up = out.split("\n").find((l) => l.includes("args=up "));
        expect(up, out).toBeDefined();
        expect(up).toContain("--policy-pack policies");
        return /--policy-pack-config (\S+)/.exec(up!)?.[1];
    };

    it("is the same for npm run up as for npm run summary and drift", () => {
        const seen = stacks.map((s) => [s, upPolicyConfig(s)]);
        expect(seen).toEqual(stacks.map((s) => [s, fs.existsSync(path.join(REPO, "policies/config", `${s}.json`)) ? `policies/config/${s}.json` : undefined]));
        for (const [stack, up] of seen) {
            const review = policyConfigFor(stack!);
            expect(review && path.relative(REPO, review), stack).toBe(up);
        }
    });

    it("is the file named on the command line when there is one, and a named file that is missing is an error", () => {
        expect(policyConfigFor("dev", path.join(REPO, "policies/config/staging.json"))).toBe(path.join(REPO, "policies/config/staging.json"));
        expect(() => policyConfigFor("dev", path.join(tmp, "nosuch.json"))).toThrow(/--policy-config .*nosuch\.json: no such file/);
    });
});
