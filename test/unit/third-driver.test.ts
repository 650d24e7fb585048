/**
 * The seam between berth and its targets: a third target is its own driver
 * file and its line in the registry (components/drivers.ts), nothing else.
 * The test copies components/ and the demo's spec, adds the test-only echo
 * driver (fixtures/echo-driver.ts) and its registry line, shows that the copy
 * differs from components/ in nothing else, typechecks it, and renders the
 * demo on the echo target with Pulumi mocks in a child process.
 */
import { execFile, execFileSync } from "child_process";
import { promisify } from "util";
import * as fs from "fs";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const REPO = path.resolve(__dirname, "../..");
let copy: string;

/** Runs without blocking the test worker (a blocked worker misses vitest's own RPC deadline). */
const execFileAsync = promisify(execFile);

/** Runs a TypeScript file of the copy with ts-node; its stdout, or the error with its output. */
async function runTs(file: string, env: Record<string, string> = {}): Promise<string> {
    // From the repo, where the demo's build contexts are.
    const { stdout } = await execFileAsync(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(copy, file)], {
        cwd: REPO,
        encoding: "utf8",
        env: { ...process.env, TS_NODE_PROJECT: path.join(copy, "tsconfig.json"), ...env },
        maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
}

beforeAll(() => {
    // Inside the repo, so that the copy resolves the repo's node_modules.
    copy = fs.mkdtempSync(path.join(REPO, "test", "unit", ".third-driver-"));
    fs.cpSync(path.join(REPO, "components"), path.join(copy, "components"), { recursive: true });
    fs.mkdirSync(path.join(copy, "services"));
    fs.copyFileSync(path.join(REPO, "services", "demo.ts"), path.join(copy, "services", "demo.ts"));
    const driver = fs.readFileSync(path.join(__dirname, "fixtures", "echo-driver.ts"), "utf8").replaceAll("../../../components/", "./");
    fs.writeFileSync(path.join(copy, "components", "echo.ts"), driver);
    const registry = path.join(copy, "components", "drivers.ts");
    const before = fs.readFileSync(registry, "utf8");
    const after = before
        .replace(/^(import \{ kubernetesDriver \} from "\.\/kubernetes";)$/m, '$1\nimport { echoDriver } from "./echo";')
        .replace(/^(\s+kubernetes: kubernetesDriver,)$/m, "$1\n    echo: echoDriver,");
    expect(after.split("\n").length - before.split("\n").length, "the registry's import and entry lines were added").toBe(2);
    fs.writeFileSync(registry, after);
    fs.writeFileSync(
        path.join(copy, "tsconfig.json"),
        JSON.stringify({ extends: path.join(REPO, "tsconfig.json"), compilerOptions: { noEmit: true }, include: ["components/**/*.ts", "services/*.ts", "render.ts"] }),
    );
    fs.writeFileSync(
        path.join(copy, "render.ts"),
        `import * as pulumi from "@pulumi/pulumi";
import { App } from "./components";
import { demo } from "./services/demo";

async function main() {
    const registered: { type: string; name: string; inputs: Record<string, unknown> }[] = [];
    pulumi.runtime.setAllConfig(JSON.parse(process.env.ECHO_CONFIG!), ["berth:dbPassword"]);
    await pulumi.runtime.setMocks(
        {
            newResource: (a) => (registered.push({ type: a.type, name: a.name, inputs: a.inputs }), { id: a.name + "-id", state: a.inputs }),
            call: (a) => (a.token === "pulumi:pulumi:readStackOutputs" ? { outputs: {} } : a.inputs),
        },
        "berth",
        "test",
        true,
        "organization",
    );
    try {
        const app = await App.create("demo", { spec: demo });
        const urls = await new Promise((resolve) => app.urls.apply(resolve));
        await new Promise((r) => setTimeout(r, 200));
        console.log(JSON.stringify({ target: app.target, manifest: app.manifest, urls, registered }));
    } catch (e) {
        console.log(JSON.stringify({ error: (e as Error).message }));
    }
}
main();
`,
    );
});

afterAll(() => fs.rmSync(copy, { recursive: true, force: true }));

describe("a third target", () => {
    it("is its own file and one registry entry: the copy differs from components/ in nothing else", () => {
        let diff = "";
        try {
            execFileSync("diff", ["-r", path.join(REPO, "components"), path.join(copy, "components")], { encoding: "utf8" });
        } catch (e) {
            diff = (e as { stdout: string }).stdout;
        }
        const lines = diff.split("\n").filter(Boolean);
        expect(lines.filter((l) => l.startsWith("Only in")).map((l) => l.replace(/^Only in .*?: /, ""))).toEqual(["echo.ts"]);
        expect(lines.filter((l) => /^[<>]/.test(l))).toEqual(['> import { echoDriver } from "./echo";', ">     echo: echoDriver,"]);
        expect(lines.filter((l) => l.startsWith("diff ")).map((l) => path.basename(l.split(" ").pop()!))).toEqual(["drivers.ts"]);
    });

    it("typechecks with berth's own code", async () => {
        await execFileAsync(path.join(REPO, "node_modules", ".bin", "tsc"), ["-p", path.join(copy, "tsconfig.json")], { encoding: "utf8" });
    }, 120_000);

    it("renders the demo: its settings validated by its own schema, one object per network, volume and service, secrets as secrets", async () => {
        const config = { "berth:target": "echo", "berth:echo": JSON.stringify({ label: "blue" }), "berth:dbPassword": "s3cret" };
        const out = JSON.parse(await runTs("render.ts", { ECHO_CONFIG: JSON.stringify(config) }));
        expect(out.error).toBeUndefined();
        expect(out.target).toBe("echo");
        expect(out.manifest.exposure).toBe("echo blue");
        expect(out.manifest.volumes.pgdata.identity).toEqual({ name: "blue-pgdata" });
        const echoes = (out.registered as { type: string; name: string; inputs: any }[]).filter((r) => r.type === "echo:index:Object");
        expect(echoes.map((r) => `${r.inputs.kind} ${r.name}`).sort()).toEqual([
            "network demo-backend-echo",
            "network demo-frontend-echo",
            "service demo-db-echo",
            "service demo-redis-echo",
            "service demo-web-echo",
            "service demo-worker-echo",
            "volume demo-pgdata-echo",
        ]);
        const web = echoes.find((r) => r.name === "demo-web-echo")!.inputs;
        expect(web.replicas).toBe(2);
        expect(web.networks).toHaveLength(2);
        // The stack's secret reaches the driver through the context (ctx.secret), as a secret (the wire form's signature).
        expect(web.secrets).toEqual({ "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: { PGPASSWORD: "s3cret" } });
        expect(echoes.find((r) => r.name === "demo-db-echo")!.inputs.volumes).toHaveLength(1);
        expect(out.urls).toEqual({ web: "echo://blue/web:8080" });
        // No resource of the other targets.
        expect((out.registered as { type: string }[]).filter((r) => /^(docker|kubernetes):/.test(r.type))).toEqual([]);
    }, 120_000);

    it("refuses, by its own schema and its own rules, what it cannot take, in berth's one-round message", async () => {
        const config = { "berth:target": "echo", "berth:echo": JSON.stringify({ label: "Blue", extra: 1 }), "berth:dbPassword": "s3cret" };
        const out = JSON.parse(await runTs("render.ts", { ECHO_CONFIG: JSON.stringify(config) }));
        expect(out.error).toMatch(/^berth: stack "test" has invalid input:/);
        expect(out.error).toContain("berth:echo.label: lowercase letters");
        expect(out.error).toMatch(/berth:echo: Unrecognized key: "extra"/);
    }, 120_000);
});
