// The summary on previews the real engine made (test/unit/fixtures/summary,
// recorded by `npm run record:summary`, see docs/testing.md): for each case
// the summary distinguishes, on Docker and on Kubernetes, its exact lines per
// section, what blocks a merge, and which parts of the diagram are marked.
import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { StackPreview, summarize } from "../../review/summary";

const FIXTURES = path.join(__dirname, "fixtures/summary");

function recorded(name: string): StackPreview {
    const file = path.join(FIXTURES, `${name}.json`);
    if (!fs.existsSync(file)) throw new Error(`no recorded preview ${path.relative(process.cwd(), file)}: run npm run record:summary (docs/testing.md)`);
    return JSON.parse(fs.readFileSync(file, "utf8")) as StackPreview;
}

interface Expected {
    danger?: string[];
    policies: string[];
    counts: string;
    changes: string[];
    other?: string[];
    blocking: string[];
    /** The diagram's nodes marked as changed. */
    marked: string[];
}

/** The summary's markdown by section (the count table's row under "counts"), blank lines left out. */
function sections(md: string): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    let at = "title";
    for (const line of md.split("\n")) {
        const heading = /^### (?:⚠️ )?(.*)$/.exec(line)?.[1] ?? (line.startsWith("<details><summary>Other resources") ? "Other resources" : undefined);
        if (heading) {
            at = heading;
            out[at] = [];
        } else if (line && line !== "</details>") (out[at] ??= []).push(line);
    }
    const table = out["Policies"]?.findIndex((l) => l.startsWith("| create |"));
    if (table !== undefined && table >= 0) out["counts"] = out["Policies"].splice(table, 3).slice(2);
    return out;
}

function check(name: string, e: Expected): void {
    const p = recorded(name);
    const s = summarize(p);
    const got = sections(s.markdown);
    expect(got["title"]).toEqual([`## berth preview: \`${p.stack}\``]);
    expect(got["Danger"], "Danger").toEqual(e.danger);
    expect(got["Policies"], "Policies").toEqual(e.policies);
    expect(got["counts"], "counts").toEqual([e.counts]);
    expect(got["What changes"], "What changes").toEqual(e.changes);
    expect(got["Other resources"], "Other resources").toEqual(e.other);
    expect(s.blocking, "blocking").toEqual(e.blocking);
    const marked = got["The app"].filter((l) => /^ {2}class \S+ changed$/.test(l)).map((l) => l.trim().split(" ")[1]);
    expect(marked, "marked in the diagram").toEqual(e.marked);
    // Nothing a recording holds of a secret value reaches the summary (the recorder refuses recordings holding the value itself).
    expect(s.markdown).not.toMatch(/pw-[0-9a-f]{24}/);
}

const NO_FINDINGS = (config: string) => ["- ✅ no findings", `- enforcement: ${config}`];

describe("summary of recorded Docker previews (dev's policy config unless said)", () => {
    it("a preview right after up: nothing changes, no findings", () =>
        check("docker-no-change", { policies: NO_FINDINGS("policies/config/dev.json"), counts: "| 0 | 0 | 0 | 0 |", changes: ["- nothing in the app changes"], blocking: [], marked: [] }));

    it("a new env var on web: web's line says so, its containers are replaced", () =>
        check("docker-update-env", {
            policies: NO_FINDINGS("policies/config/dev.json"),
            counts: "| 0 | 0 | 2 | 0 |",
            changes: ["- **web**: new env var FEATURE_GREETING (replace Container)"],
            blocking: [],
            marked: ["svc_web"],
        }));

    it("a new build of web: the image's content hash before and after", () =>
        check("docker-update-image", {
            policies: NO_FINDINGS("policies/config/dev.json"),
            counts: "| 0 | 1 | 2 | 0 |",
            changes: ["- **web**: image build services/web@bae91c11aa3e -> build services/web@77f6ce5d67d2 (update Image, replace Container)"],
            blocking: [],
            marked: ["svc_web"],
        }));

    it("published on 0.0.0.0: a danger, and the pack's finding advisory on dev, so nothing blocks", () =>
        check("docker-policy-advisory", {
            danger: ["- **service web is published beyond this host** (0.0.0.0)"],
            policies: [
                "- ⚠️ [advisory] berth-published-ports: demo-web-lb publishes port 48080 on 0.0.0.0; this stack allows 127.0.0.1 (berth:docker.publishAddress).",
                "- enforcement: policies/config/dev.json",
            ],
            counts: "| 0 | 0 | 1 | 0 |",
            changes: ["- **web**: replace Container"],
            blocking: [],
            marked: ["svc_web"],
        }));

    it("a stack config berth refuses: the failed preview blocks, and nothing is said of the app or judged by the pack", () =>
        check("docker-failed", {
            danger: ['- the preview failed: error: berth: stack "recorded-docker" has invalid input:'],
            policies: ["- not checked: the program stopped before it registered any resource", "- enforcement: policies/config/dev.json"],
            counts: "| 0 | 0 | 0 | 0 |",
            changes: ["- the program stopped before it described the app: what else would change shows once the blocking findings above are resolved"],
            blocking: ['the preview failed: error: berth: stack "recorded-docker" has invalid input:'],
            marked: [],
        }));
});
