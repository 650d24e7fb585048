/**
 * berth as a library: several Apps in one program, target settings and
 * secrets passed by the program, the data-safety check that no public path
 * skips, and the manifest shapes it reads back.
 */
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { App, AppInput, BerthError, BerthInputError, berthOutput } from "../../components";
import { lastManifest } from "../../components/datasafety";
import { Manifest } from "../../components/manifest";
import { demo } from "../../services/demo";
import { render } from "./harness";

const docker = { target: "docker" };
const k8s = { target: "kubernetes", kubernetes: { namespace: "berth-test", registry: "127.0.0.1:5000" } };
const secrets = { dbPassword: "x" };

/** A second app: one service with a volume, publishing 8090. */
const notes = {
    services: {
        api: {
            image: "127.0.0.1:5000/notes:1",
            ports: [{ port: 8090, publish: 8090 }],
            health: { readiness: { http: { path: "/healthz", port: 8090 } } },
            volumes: [{ volume: "notes", path: "/data" }],
        },
    },
    volumes: { notes: { size: "64Mi" } },
} satisfies AppInput;

const names = (r: { resources: { type: string; inputs: any }[] }, type: string, pick: (i: any) => string) => r.resources.filter((x) => x.type === type).map((x) => pick(x.inputs)).sort();

describe("several Apps in one stack", () => {
    it("on Docker: each App's volumes, networks and images keep their own names, side by side", async () => {
        const r = await render(demo, docker, { secrets, more: [{ name: "notes", args: { spec: notes } }] });
        expect(names(r, "docker:index/volume:Volume", (i) => i.name)).toEqual(["berth-test-notes", "berth-test-pgdata"]);
        expect(names(r, "docker:index/network:Network", (i) => i.name)).toEqual(["berth-test-backend", "berth-test-default", "berth-test-frontend"]);
        expect(r.byName("notes-api-0").inputs.volumes).toEqual([{ volumeName: "berth-test-notes", containerPath: "/data", readOnly: false }]);
    });

    it("refuses two Apps that would take one Docker volume, network or published port, naming both and the way out", async () => {
        const twin = {
            services: { api: { ...notes.services.api, ports: [{ port: 8090, publish: 8080 }], networks: ["backend"], volumes: [{ volume: "pgdata", path: "/data" }] } },
            networks: { backend: {} },
            volumes: { pgdata: { size: "64Mi" } },
        };
        const e = await render(demo, docker, { secrets, more: [{ name: "twin", args: { spec: twin } }] }).catch((x) => x);
        expect(e).toBeInstanceOf(BerthInputError);
        const lines = (e as BerthInputError).problems;
        expect(lines).toEqual([
            "app twin: Docker engine (local): volume berth-test-pgdata is app demo's already; two Apps in one stack need their own (pass settings.docker to one of them: see docs/reference.md, \"Several apps in one stack\")",
            "app twin: Docker engine (local): network berth-test-backend is app demo's already; two Apps in one stack need their own (pass settings.docker to one of them: see docs/reference.md, \"Several apps in one stack\")",
            "app twin: Docker engine (local): published port 8080/tcp is app demo's already; two Apps in one stack need their own (pass settings.docker to one of them: see docs/reference.md, \"Several apps in one stack\")",
        ]);
        // Nothing of the second App registered.
        expect((e as { registered: { name: string }[] }).registered.filter((x) => x.name.startsWith("twin"))).toEqual([]);
    });

    it("a Docker namePrefix given by the program takes the twin's names out of the way", async () => {
        const twin = { ...notes, volumes: { pgdata: { size: "64Mi" } }, services: { api: { ...notes.services.api, volumes: [{ volume: "pgdata", path: "/data" }] } } };
        const r = await render(demo, docker, { secrets, more: [{ name: "twin", args: { spec: twin, settings: { docker: { namePrefix: "berth-test-twin" } } } }] });
        expect(names(r, "docker:index/volume:Volume", (i) => i.name)).toEqual(["berth-test-pgdata", "berth-test-twin-pgdata"]);
    });

    it("on Kubernetes: each App needs its own namespace; the program gives it, over the stack's", async () => {
        const clash = await render(demo, k8s, { secrets, more: [{ name: "notes", args: { spec: notes } }] }).catch((x) => x);
        expect((clash as BerthInputError).problems).toEqual([
            "app notes: Kubernetes context (current): namespace berth-test is app demo's already; two Apps in one stack need their own (pass settings.kubernetes to one of them: see docs/reference.md, \"Several apps in one stack\")",
        ]);
        const r = await render(demo, k8s, { secrets, more: [{ name: "notes", args: { spec: notes, settings: { kubernetes: { namespace: "notes" } } } }] });
        expect(names(r, "kubernetes:core/v1:Namespace", (i) => i.metadata.name)).toEqual(["berth-test", "notes"]);
        expect(r.byName("notes-api-deployment").inputs.metadata.namespace).toBe("notes");
        expect(r.byName("notes-notes-pvc").inputs.metadata.namespace).toBe("notes");
    });

    it("names the program, not the stack, when the program's settings are wrong", async () => {
        const e = await render(demo, k8s, { secrets, app: { args: { settings: { kubernetes: { namespace: "Not_A_Label" } } } } }).catch((x) => x);
        expect((e as BerthInputError).problems).toEqual(["settings.kubernetes.namespace: a lowercase DNS label"]);
    });

    it("berthOutput: one App's manifest as berth always wrote it; several by name", () => {
        const m = (target: string): Manifest => ({ target, exposure: "x", services: {}, volumes: {} });
        const a = { name: "demo", manifest: m("docker") } as App;
        const b = { name: "notes", manifest: m("docker") } as App;
        expect(berthOutput(a)).toBe(a.manifest);
        expect(berthOutput(a, b)).toEqual({ apps: { demo: a.manifest, notes: b.manifest } });
    });
});

describe("the program's own secrets", () => {
    it("are used instead of the stack's, as secrets, and the stack need not hold them", async () => {
        const r = await render(demo, docker, { app: { args: { secrets: { dbPassword: pulumi.output("from-program") } } } });
        const envs = r.byName("demo-db-0").inputs.envs as unknown;
        expect(JSON.stringify(envs)).toContain("POSTGRES_PASSWORD=from-program");
        // marked secret on the wire
        expect(JSON.stringify(envs)).toContain("1b47061264138c4ac30d75fd1eb44270");
    });
});

describe("the data-safety check", () => {
    it("cannot be skipped: the constructor is App.create's alone", async () => {
        const Ctor = App as unknown as new (name: string, args: unknown) => App;
        expect(() => new Ctor("demo", { spec: demo })).toThrow(BerthError);
        expect(() => new Ctor("demo", { spec: demo })).toThrow(/use `await App.create\(name, args\)`/);
    });

    const m: Manifest = { target: "docker", exposure: "127.0.0.1", services: {}, volumes: { data: { identity: { name: "p-s-data", driver: "local" }, retain: true, allowDataLoss: false } } };
    it("reads the manifest of the old shape (berth = one App's manifest) and the new one (berth.apps.<name>)", () => {
        expect(lastManifest("s", "demo", { berth: m, url: "x" })).toBe(m);
        expect(lastManifest("s", "notes", { berth: { apps: { demo: m, notes: m } } })).toBe(m);
        expect(lastManifest("s", "blog", { berth: { apps: { demo: m } } })).toBeUndefined(); // an App new to the stack
        expect(lastManifest("s", "demo", {})).toBeUndefined(); // a stack never deployed
        expect(lastManifest("s", "demo", undefined)).toBeUndefined();
    });

    it("fails closed when the last deployment exported no manifest berth can read", () => {
        expect(() => lastManifest("s", "demo", { url: "http://x" })).toThrow(/its last deployment's outputs hold no manifest of app demo .*the output `berth` is missing/);
        expect(() => lastManifest("s", "demo", { berth: { apps: { demo: { not: "a manifest" } } } })).toThrow(/of another shape/);
        expect(() => lastManifest("s", "demo", { berth: "text" })).toThrow(/of another shape/);
    });

    it("refuses a stack whose outputs lack the manifest before anything registers", async () => {
        const e = await render(demo, docker, { secrets, previousOutputs: { url: "http://127.0.0.1:8080" } }).catch((x) => x);
        expect(e).toBeInstanceOf(BerthError);
        expect((e as { registered: unknown[] }).registered).toEqual([]);
    });
});
