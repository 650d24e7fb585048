// A service's files (from a repository file or inline) and bind mounts
// (Docker only), issue 12: the exact children and inputs on each target, the
// hash that rolls pods, and every refusal before anything registers.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";
import { filesHash } from "../../components/files";
import { AppInput, FileSpec } from "../../components/spec";
import { describeService } from "../../review/summary";
import { refusal, render } from "./harness";

const dockerCfg = { target: "docker" };
const k8sCfg = { target: "kubernetes", kubernetes: { namespace: "berth-test" } };
/** A repository file, relative to the program's folder (the tests run from the repository's). */
const SOURCE = "test/unit/fixtures/files/app.conf";
const SOURCE_TEXT = "listen 8080;\n";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "berth-files-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** One service, `app`, from an image, with these fields. */
const one = (fields: Record<string, unknown>): AppInput => ({ services: { app: { image: "nginx:1.27", ...fields } } });
const files = (content: string) => [
    { path: "/etc/app/app.conf", source: SOURCE },
    { path: "/usr/local/bin/start.sh", content, mode: 0o755 },
];

/** The problems of a refusal, one a line, without the stack's heading. */
const problems = (e: Error) => e.message.split("\n").slice(1).map((l) => l.replace(/^ {2}- /, ""));

describe("files on Docker", () => {
    it("uploads each file into every replica, with its content and mode; nothing is bind-mounted", async () => {
        const r = await render(one({ files: files("#!/bin/sh\necho v1\n"), replicas: 2 }), dockerCfg);
        for (const name of ["demo-app-0", "demo-app-1"]) {
            const c = r.byName(name).inputs;
            expect(c.uploads).toEqual([
                { file: "/etc/app/app.conf", content: SOURCE_TEXT, permissions: "0644" },
                { file: "/usr/local/bin/start.sh", content: "#!/bin/sh\necho v1\n", permissions: "0755" },
            ]);
            expect(c.mounts).toBeUndefined();
        }
        expect(r.resources.map((x) => x.type).sort()).toEqual(
            ["berth:app:App", "berth:app:Service", "berth:app:Network", "docker:index/container:Container", "docker:index/container:Container", "docker:index/network:Network", "docker:index/remoteImage:RemoteImage"].sort(),
        );
    });

    it("a new content is a new upload (the provider replaces a container whose uploads change)", async () => {
        const a = (await render(one({ files: files("v1") }), dockerCfg)).byName("demo-app-0").inputs.uploads;
        const b = (await render(one({ files: files("v2") }), dockerCfg)).byName("demo-app-0").inputs.uploads;
        expect(a[1].content).toBe("v1");
        expect(b[1].content).toBe("v2");
    });

    it("uploads bytes that are not UTF-8 as base64", async () => {
        const bin = path.join(tmp, "logo.bin");
        fs.writeFileSync(bin, Buffer.from([0xff, 0x00, 0xfe]));
        const r = await render(one({ files: [{ path: "/srv/logo.bin", source: bin }] }), dockerCfg);
        expect(r.byName("demo-app-0").inputs.uploads).toEqual([{ file: "/srv/logo.bin", contentBase64: "/wD+", permissions: "0644" }]);
    });

    it("with a read-only root (the engine refuses uploads) bind-mounts each file read-only from berth's cache, named by its content", async () => {
        const cache = path.join(tmp, "cache");
        const before = process.env.XDG_CACHE_HOME;
        process.env.XDG_CACHE_HOME = cache;
        try {
            const r = await render(one({ files: files("v1"), security: { readOnlyRootFilesystem: true } }), dockerCfg);
            const c = r.byName("demo-app-0").inputs;
            expect(c.uploads).toBeUndefined();
            expect(c.readOnly).toBe(true);
            expect(c.mounts).toEqual([
                { type: "bind", source: expect.stringMatching(new RegExp(`^${cache}/berth/files/[0-9a-f]{64}/app\\.conf$`)), target: "/etc/app/app.conf", readOnly: true },
                { type: "bind", source: expect.stringMatching(new RegExp(`^${cache}/berth/files/[0-9a-f]{64}/start\\.sh$`)), target: "/usr/local/bin/start.sh", readOnly: true },
            ]);
            expect(fs.readFileSync(c.mounts[0].source, "utf8")).toBe(SOURCE_TEXT);
            expect(fs.statSync(c.mounts[1].source).mode & 0o777).toBe(0o755);
            // The provider would update mounts in place and ignore the change: they replace the container.
            expect(r.byName("demo-app-0").opts.replaceOnChanges).toEqual(["healthcheck", "mounts"]);
            // A new content is a new host file, so the container's mounts change and it is replaced.
            const next = (await render(one({ files: files("v2"), security: { readOnlyRootFilesystem: true } }), dockerCfg)).byName("demo-app-0").inputs.mounts;
            expect(next[0].source).toBe(c.mounts[0].source);
            expect(next[1].source).not.toBe(c.mounts[1].source);
            expect(fs.readFileSync(next[1].source, "utf8")).toBe("v2");
        } finally {
            if (before === undefined) delete process.env.XDG_CACHE_HOME;
            else process.env.XDG_CACHE_HOME = before;
        }
    });
});

describe("files on Kubernetes", () => {
    const spec = (content: string) => one({ files: files(content), ports: [{ port: 80 }] });

    it("makes one ConfigMap named by the files' hash, and mounts each file alone (subPath), read-only, with its mode", async () => {
        const r = await render(spec("v1"), k8sCfg);
        const hash = filesHash(files("v1").map((f) => ({ mode: 0o644, ...f }) as FileSpec));
        expect(hash).toMatch(/^[0-9a-f]{10}$/);
        expect(r.ofType("kubernetes:core/v1:ConfigMap").map((x) => x.name)).toEqual(["demo-app-files"]);
        const cm = r.byName("demo-app-files").inputs;
        expect(cm.metadata).toEqual({ name: `app-files-${hash}`, namespace: "berth-test", labels: { "app.kubernetes.io/part-of": "berth", "app.kubernetes.io/name": "app" } });
        expect(cm.data).toEqual({ "f0-app.conf": SOURCE_TEXT, "f1-start.sh": "v1" });
        expect(cm.binaryData).toBeUndefined();
        expect(cm.immutable).toBe(true);
        const pod = r.byName("demo-app-deployment").inputs.spec.template;
        expect(pod.spec.volumes).toEqual([
            {
                name: "files",
                configMap: {
                    name: `app-files-${hash}`,
                    items: [
                        { key: "f0-app.conf", path: "f0-app.conf", mode: 0o644 },
                        { key: "f1-start.sh", path: "f1-start.sh", mode: 0o755 },
                    ],
                },
            },
        ]);
        expect(pod.spec.containers[0].volumeMounts).toEqual([
            { name: "files", mountPath: "/etc/app/app.conf", subPath: "f0-app.conf", readOnly: true },
            { name: "files", mountPath: "/usr/local/bin/start.sh", subPath: "f1-start.sh", readOnly: true },
        ]);
        expect(pod.metadata.annotations).toEqual({ "berth.dev/files-sha256": hash });
    });

    it("a new content is a new ConfigMap name and pod-template checksum, so the pods roll; the same content changes nothing", async () => {
        const tpl = async (content: string) => {
            const r = await render(spec(content), k8sCfg);
            return { name: r.byName("demo-app-files").inputs.metadata.name, template: r.byName("demo-app-deployment").inputs.spec.template };
        };
        const [a, again, b] = [await tpl("v1"), await tpl("v1"), await tpl("v2")];
        expect(again).toEqual(a);
        expect(b.name).not.toBe(a.name);
        expect(b.template.spec.volumes[0].configMap.name).toBe(b.name);
        expect(b.template.metadata.annotations["berth.dev/files-sha256"]).not.toBe(a.template.metadata.annotations["berth.dev/files-sha256"]);
        // A mode alone rolls them too.
        const m = await render(one({ files: [{ path: "/etc/app/app.conf", source: SOURCE, mode: 0o600 }] }), k8sCfg);
        const n = await render(one({ files: [{ path: "/etc/app/app.conf", source: SOURCE }] }), k8sCfg);
        expect(m.byName("demo-app-files").inputs.metadata.name).not.toBe(n.byName("demo-app-files").inputs.metadata.name);
    });

    it("works with a read-only root filesystem (a ConfigMap is mounted, nothing written into the image's files)", async () => {
        const r = await render(one({ files: files("v1"), security: { readOnlyRootFilesystem: true } }), k8sCfg);
        const c = r.byName("demo-app-deployment").inputs.spec.template.spec.containers[0];
        expect(c.securityContext.readOnlyRootFilesystem).toBe(true);
        expect(c.volumeMounts.map((m: any) => m.mountPath)).toEqual(["/etc/app/app.conf", "/usr/local/bin/start.sh"]);
    });

    it("keeps bytes that are not UTF-8 in binaryData", async () => {
        const bin = path.join(tmp, "k8s.bin");
        fs.writeFileSync(bin, Buffer.from([0xff, 0x00]));
        const r = await render(one({ files: [{ path: "/srv/k8s.bin", source: bin }] }), k8sCfg);
        expect(r.byName("demo-app-files").inputs).toMatchObject({ binaryData: { "f0-k8s.bin": "/wA=" } });
        expect(r.byName("demo-app-files").inputs.data).toBeUndefined();
    });

    it("a service without files has no ConfigMap, no files volume and no checksum", async () => {
        const r = await render(one({}), k8sCfg);
        expect(r.ofType("kubernetes:core/v1:ConfigMap")).toEqual([]);
        expect(r.byName("demo-app-deployment").inputs.spec.template.metadata.annotations).toBeUndefined();
    });
});

describe("bind mounts", () => {
    it("Docker mounts the host path, resolved from the program's folder, as a bind mount", async () => {
        const r = await render(one({ bindMounts: [{ hostPath: "./test/unit/fixtures/files", path: "/data", readOnly: true }, { hostPath: tmp, path: "/scratch" }] }), dockerCfg);
        expect(r.byName("demo-app-0").inputs.mounts).toEqual([
            { type: "bind", source: path.resolve("test/unit/fixtures/files"), target: "/data", readOnly: true },
            { type: "bind", source: tmp, target: "/scratch", readOnly: false },
        ]);
    });

    it("Kubernetes refuses a bind mount before anything registers, naming the field and what works", async () => {
        const e = await refusal(one({ bindMounts: [{ hostPath: "./data", path: "/data" }] }), k8sCfg);
        expect(problems(e)).toEqual([
            "app.services.app.bindMounts[0]: a bind mount of ./data cannot be honoured on Kubernetes: a pod runs on a node, which does not have this machine's folders; use a volume (volumes, and services.app.volumes) for data, or services.app.files for config files",
        ]);
        expect(e.registered).toEqual([]);
    });

    it("Docker refuses a host path that does not exist (the engine would make an empty folder owned by root)", async () => {
        const e = await refusal(one({ bindMounts: [{ hostPath: "./no-such-folder", path: "/data" }] }), dockerCfg);
        expect(problems(e)).toEqual([`app.services.app.bindMounts[0].hostPath: no such file or folder: ${path.resolve("no-such-folder")} (a host path is relative to the program's folder, ${process.cwd()}); create it, or fix the path`]);
        expect(e.registered).toEqual([]);
    });

    it("Docker refuses bind mounts, and files under a read-only root, when the engine is elsewhere", async () => {
        const e = await refusal(
            one({ bindMounts: [{ hostPath: tmp, path: "/data" }], files: [{ path: "/etc/a", content: "a" }], security: { readOnlyRootFilesystem: true } }),
            { target: "docker", docker: { host: "ssh://me@far" } },
        );
        expect(problems(e)).toEqual([
            "app.services.app.bindMounts: the Docker engine is not on this machine (berth:docker.host is ssh://me@far), so it cannot mount this machine's folders; use a volume, or files for config files",
            "app.services.app.files: with security.readOnlyRootFilesystem the engine refuses uploads, so berth bind-mounts the files from this machine, and the Docker engine is not on it (berth:docker.host is ssh://me@far); drop readOnlyRootFilesystem for this stack's engine, or deploy from the engine's machine",
        ]);
    });

    it.each([
        ["/var/run/docker.sock", dockerCfg],
        ["/run/docker.sock", dockerCfg],
        ["/var/run", dockerCfg],
        ["/var/run/docker.sock", k8sCfg],
    ])("refuses the Docker socket (%s) unless allowDockerSocket is true", async (hostPath, cfg) => {
        const e = await refusal(one({ bindMounts: [{ hostPath, path: "/var/run/docker.sock" }] }), cfg);
        expect(problems(e)).toContain(
            `app.services.app.bindMounts[0].hostPath: ${hostPath} is or holds the Docker API socket, which gives the container root on the host: refused unless services.app.bindMounts[0].allowDockerSocket is true`,
        );
        expect(e.registered).toEqual([]);
    });

    it("mounts the Docker socket on Docker when the spec opts in (Kubernetes still refuses it as a bind mount)", async () => {
        const bind = { hostPath: "/var/run/docker.sock", path: "/var/run/docker.sock", allowDockerSocket: true };
        const r = await render(one({ bindMounts: [bind] }), dockerCfg);
        expect(r.byName("demo-app-0").inputs.mounts).toEqual([{ type: "bind", source: "/var/run/docker.sock", target: "/var/run/docker.sock", readOnly: false }]);
        expect(problems(await refusal(one({ bindMounts: [bind] }), k8sCfg))).toEqual([expect.stringMatching(/^app\.services\.app\.bindMounts\[0\]: a bind mount of \/var\/run\/docker\.sock cannot be honoured on Kubernetes/)]);
    });
});

describe("files are refused before anything registers, all in one round", () => {
    it("names each problem's key path: a missing source, a relative or unnormalized path, both or neither of source and content, duplicates, a path a mount hides, a bad mode", async () => {
        const spec: AppInput = {
            services: {
                app: {
                    image: "nginx:1.27",
                    volumes: [{ volume: "data", path: "/data" }],
                    secrets: { TOKEN: { config: "token", as: "file" } },
                    files: [
                        { path: "/etc/a.conf", source: "config/missing.conf" },
                        { path: "etc/b.conf", content: "b" },
                        { path: "/etc/../c.conf", content: "c" },
                        { path: "/etc/d.conf", content: "d", source: SOURCE },
                        { path: "/etc/e.conf" },
                        { path: "/etc/f.conf", content: "f" },
                        { path: "/etc/f.conf", content: "f again" },
                        { path: "/data/app.conf", content: "in the volume" },
                        { path: "/run/secrets/TOKEN", content: "hidden" },
                        { path: "/etc/g.conf", content: "g", mode: 0o1777 },
                    ],
                },
            },
            volumes: { data: {} },
        } as AppInput;
        for (const cfg of [dockerCfg, k8sCfg]) {
            const e = await refusal(spec, cfg);
            expect(e.registered).toEqual([]);
            expect(problems(e).sort()).toEqual(
                [
                    `app.services.app.files[0].source: no such file: ${path.resolve("config/missing.conf")} (a source is read relative to the program's folder, ${process.cwd()}); give a file of the repository, or the content inline (content)`,
                    "app.services.app.files[1].path: an absolute path",
                    'app.services.app.files[2].path: an absolute file path with no "." or ".." step and no trailing "/", e.g. "/etc/nginx/nginx.conf"',
                    "app.services.app.files[3]: give exactly one of source (a repository file) or content (inline)",
                    "app.services.app.files[4]: give exactly one of source (a repository file) or content (inline)",
                    "app.services.app.files[6].path: /etc/f.conf is already placed by services.app.files[5]: one file per path",
                    "app.services.app.files[7].path: /data/app.conf is under the path /data of services.app.volumes[0] (volume data): the mount would hide the file (a volume would receive it into its data); place it elsewhere",
                    "app.services.app.files[8].path: /run/secrets/TOKEN is the path /run/secrets/TOKEN of services.app.secrets.TOKEN: the mount would hide the file (a volume would receive it into its data); place it elsewhere",
                    "app.services.app.files[9].mode: permission bits from 0o000 to 0o777",
                    "berth:token: not set; a service reads it as a secret (set it with: pulumi config set --secret berth:token --stack test)",
                ].sort(),
            );
        }
    });

    it("refuses more than 1 MiB of files in one service, on both targets", async () => {
        const big = path.join(tmp, "big.bin");
        fs.writeFileSync(big, Buffer.alloc(1024 * 1024 - 1, 97));
        const spec = one({ files: [{ path: "/srv/big", source: big }, { path: "/srv/two", content: "xy" }] });
        for (const cfg of [dockerCfg, k8sCfg]) {
            expect(problems(await refusal(spec, cfg))).toEqual([
                "app.services.app.files: 1048577 bytes together, more than 1048576 (1 MiB, what one Kubernetes ConfigMap holds, the limit on every target); put large files into the image (COPY in its Dockerfile) or into a volume",
            ]);
        }
        // Exactly 1 MiB is accepted.
        const r = await render(one({ files: [{ path: "/srv/big", source: big }, { path: "/srv/two", content: "x" }] }), k8sCfg);
        expect(Object.keys(r.byName("demo-app-files").inputs.data)).toEqual(["f0-big", "f1-two"]);
    });
});

describe("files and bind mounts in the manifest a summary reads", () => {
    it("lists each file by path with a hash of its content (never the content) and each bind mount", async () => {
        const hostDir = fs.mkdtempSync(path.join(tmp, "bind-"));
        const a = await render(one({ files: files("v1"), bindMounts: [{ hostPath: hostDir, path: "/srv", readOnly: true }] }), dockerCfg);
        const b = await render(one({ files: files("v2") }), dockerCfg);
        const ma = (a.outputs.berth as any).services.app;
        const mb = (b.outputs.berth as any).services.app;
        expect(ma.files).toEqual({ "/etc/app/app.conf": filesHash([{ ...files("v1")[0], mode: 0o644 } as FileSpec]), "/usr/local/bin/start.sh": filesHash([files("v1")[1] as FileSpec]) });
        expect(JSON.stringify(ma)).not.toContain("echo");
        expect(ma.bindMounts).toEqual([`${hostDir}:/srv:ro`]);
        expect(mb.files["/etc/app/app.conf"]).toBe(ma.files["/etc/app/app.conf"]);
        expect(mb.files["/usr/local/bin/start.sh"]).not.toBe(ma.files["/usr/local/bin/start.sh"]);
        expect(describeService("app", ma, mb)).toEqual(["file /usr/local/bin/start.sh changed", `bind mount ${hostDir}:/srv:ro removed`]);
        expect(describeService("app", mb, { ...mb, files: { "/etc/app/app.conf": mb.files["/etc/app/app.conf"] } })).toEqual(["file /usr/local/bin/start.sh removed"]);
    });
});

