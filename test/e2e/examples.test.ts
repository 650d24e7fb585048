// berth used as a library (issue 11): examples/notes is a Pulumi program of
// its own that imports berth as a package ("berth": "file:../..", linked by
// setup) and deploys two Apps in one stack: berth's demo and a notes service.
// On the real engine and Docker: up; both apps answer on 127.0.0.1 (the demo
// counts visits in Postgres, the notes API keeps a note on its volume); each
// App's objects carry its own names; preview and refresh find no changes;
// destroy leaves only the two retained volumes (which the test then removes).
//
// A missing Docker engine or plugin FAILS this suite with what is missing.
import * as fs from "fs";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { E2eStack, REPO, RUN_ID, newStack, progress, requireDockerTarget, requirePortFree, requireTool, run, teardownDocker } from "./engine";

const EXAMPLE = path.join(REPO, "examples", "notes");
const STACK = `e2e-examples-${RUN_ID}`;
const PREFIX = `notes-${STACK}`; // <project>-<stack>: both Apps' Docker names start with it (the project is examples/notes')
const DEMO_PORT = 18085;
const NOTES_PORT = 18086;
let s: E2eStack | undefined;
let outputs: Record<string, { value: unknown }> = {};

const byLabel = (what: "container" | "network" | "volume") =>
    run("docker", [what, "ls", ...(what === "container" ? ["-a"] : []), "-q", "--filter", `label=berth.dev/stack=${STACK}`]).split("\n").filter(Boolean);

beforeAll(async () => {
    requireDockerTarget();
    requirePortFree(DEMO_PORT);
    requirePortFree(NOTES_PORT);
    requireTool(
        "berth linked into examples/notes",
        () => {
            if (!fs.lstatSync(path.join(EXAMPLE, "node_modules", "berth")).isSymbolicLink()) throw new Error("examples/notes/node_modules/berth is not a link");
        },
        "npm run setup links it (npm install in examples/notes)",
    );
    fs.mkdirSync(path.join(EXAMPLE, "stacks"), { recursive: true });
    s = await newStack(STACK, { target: "docker" }, { dbPassword: `pw-${RUN_ID}` }, EXAMPLE);
    await s.stack.setConfig("notes:demoPort", { value: String(DEMO_PORT) });
    await s.stack.setConfig("notes:notesPort", { value: String(NOTES_PORT) });
    const up = await s.stack.up({ onOutput: progress(`${STACK} up`) });
    outputs = up.outputs;
}, 1_200_000);

afterAll(() => teardownDocker(s, STACK, "notes"), 600_000);

describe("a program that uses berth as a package, with two Apps in one stack", () => {
    it("both apps answer on 127.0.0.1", async () => {
        expect(outputs.demoUrl?.value).toBe(`http://127.0.0.1:${DEMO_PORT}`);
        expect(outputs.notesUrl?.value).toBe(`http://127.0.0.1:${NOTES_PORT}`);
        const visit = (await (await fetch(`http://127.0.0.1:${DEMO_PORT}/`)).json()) as { visits: number; hostname: string };
        expect(visit.visits).toBeGreaterThan(0);
        const note = `note ${RUN_ID} "quoted" & more`;
        expect((await fetch(`http://127.0.0.1:${NOTES_PORT}/notes`, { method: "POST", body: note })).status).toBe(201);
        const read = (await (await fetch(`http://127.0.0.1:${NOTES_PORT}/notes`)).json()) as { notes: string[] };
        expect(read.notes).toEqual([note]);
        console.log(`[examples] demo answered (visits ${visit.visits}, ${visit.hostname}); notes kept ${JSON.stringify(read.notes)}`);
    });

    it("each App has its own Docker objects under the stack's names, and both manifests are exported by App name", () => {
        const volumes = run("docker", ["volume", "ls", "--format", "{{.Name}}", "--filter", `label=berth.dev/stack=${STACK}`]).split("\n").filter(Boolean).sort();
        expect(volumes).toEqual([`${PREFIX}-notes`, `${PREFIX}-pgdata`]);
        const networks = run("docker", ["network", "ls", "--format", "{{.Name}}", "--filter", `label=berth.dev/stack=${STACK}`]).split("\n").filter(Boolean).sort();
        expect(networks).toEqual([`${PREFIX}-backend`, `${PREFIX}-default`, `${PREFIX}-frontend`]);
        const berth = outputs.berth?.value as { apps: Record<string, { target: string; volumes: Record<string, unknown> }> };
        expect(Object.keys(berth.apps).sort()).toEqual(["demo", "notes"]);
        expect(Object.keys(berth.apps.notes.volumes)).toEqual(["notes"]);
        expect(Object.keys(berth.apps.demo.volumes)).toEqual(["pgdata"]);
    });

    it("previews and refreshes with no changes", async () => {
        await s!.stack.preview({ expectNoChanges: true, onOutput: progress(`${STACK} preview`) });
        const refresh = await s!.stack.refresh({ onOutput: progress(`${STACK} refresh`) });
        const changes = Object.entries(refresh.summary.resourceChanges ?? {}).filter(([op, n]) => op !== "same" && n);
        expect(changes).toEqual([]);
    }, 600_000);

    it("destroy leaves only the two retained volumes, with the note still on its volume", async () => {
        await s!.stack.destroy({ onOutput: progress(`${STACK} destroy`) });
        expect(byLabel("container")).toEqual([]);
        expect(byLabel("network")).toEqual([]);
        const left = run("docker", ["volume", "ls", "--format", "{{.Name}}", "--filter", `label=berth.dev/stack=${STACK}`]).split("\n").filter(Boolean).sort();
        expect(left).toEqual([`${PREFIX}-notes`, `${PREFIX}-pgdata`]);
        const kept = run("docker", ["run", "--rm", "-v", `${PREFIX}-notes:/data:ro`, "berth/debian:bookworm", "cat", "/data/notes.txt"]);
        expect(kept).toContain(`note ${RUN_ID}`);
    }, 600_000);
});
