// The CI workflow berth ships for its users cannot run here; actionlint (built
// by setup from Go modules) checks it, and the test checks that its steps call
// only the scripts that berth's own tests exercise.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";

const REPO = path.resolve(__dirname, "../..");
const WORKFLOW = path.join(REPO, ".github/workflows/preview.yml");
const ACTIONLINT = path.join(process.env.BERTH_CACHE ?? path.join(os.homedir(), ".cache/berth"), "tools/actionlint-v1.7.12");

describe(".github/workflows/preview.yml", () => {
    it("passes actionlint", () => {
        if (!fs.existsSync(ACTIONLINT)) throw new Error(`actionlint is missing at ${ACTIONLINT}: run npm run setup, which builds it`);
        expect(execFileSync(ACTIONLINT, ["-no-color", WORKFLOW], { encoding: "utf8" })).toBe("");
    });

    it("runs only npm scripts that exist and that the tests exercise", () => {
        const runs = [...fs.readFileSync(WORKFLOW, "utf8").matchAll(/npm run (?:--silent )?([a-z:]+)/g)].map((m) => m[1]);
        expect([...new Set(runs)].sort()).toEqual(["setup", "summary", "up"]);
        const scripts = JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")).scripts;
        for (const r of runs) expect(scripts[r], `npm script ${r}`).toBeDefined();
    });
});
