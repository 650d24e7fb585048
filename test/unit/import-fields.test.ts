// The importer's mapping of the Compose keys that issue 12's spec fields now
// carry: restart on-failure:N, labels, user, build target and args, network
// aliases and container_name, dotted env names.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";
import { validate } from "../../components/validate";
import { Finding, ImportResult, importComposeFile } from "../../import/compose";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "berth-import-fields-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
let n = 0;
/** Imports Compose text from a fresh folder with these files. */
function imp(text: string, files: Record<string, string> = {}, env: Record<string, string> = {}): ImportResult {
    const dir = path.join(tmp, String(n++));
    fs.mkdirSync(dir, { recursive: true });
    for (const [f, c] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
        fs.writeFileSync(path.join(dir, f), c);
    }
    fs.writeFileSync(path.join(dir, "compose.yaml"), text);
    return importComposeFile(path.join(dir, "compose.yaml"), { env, programDir: dir });
}
const one = (lines: string, more = "") => imp(`services:\n  app:\n${lines.replace(/^/gm, "    ")}\n${more}`);
const svc = (r: ImportResult, name = "app") => r.spec.services[name] as Record<string, any>;
const finding = (r: ImportResult, p: string): Finding | undefined => r.findings.find((f) => f.path === p && f.kind !== "mapped");
/** Valid for berth on this target (secrets set). */
const validOn = (r: ImportResult, target: "docker" | "kubernetes") =>
    validate("t", r.spec, { target, kubernetes: { namespace: "t", registry: "127.0.0.1:5000" }, services: target === "kubernetes" ? r.kubernetes.services : undefined }, () => true);

describe("labels", () => {
    it("maps the mapping and the list forms to labels", () => {
        expect(svc(one('image: nginx\nlabels:\n  com.example.team: web\n  example.com/port: 8080\n  empty: ""')).labels).toEqual({ "com.example.team": "web", "example.com/port": "8080", empty: "" });
        const list = one('image: nginx\nlabels: ["com.example.team=web", "flag", "a=b=c"]');
        expect(svc(list).labels).toEqual({ "com.example.team": "web", flag: "", a: "b=c" });
        validOn(list, "docker");
        validOn(list, "kubernetes");
    });

    it("leaves out berth's own keys and keys Kubernetes refuses, saying why", () => {
        const r = one(`image: nginx\nlabels:\n  berth.dev/service: x\n  "has space": y\n  ${"a".repeat(64)}: z\n  ok: "1"`);
        expect(svc(r).labels).toEqual({ ok: "1" });
        expect(finding(r, 'services.app.labels["berth.dev/service"]')).toMatchObject({ kind: "refused", message: expect.stringContaining("keys under berth.dev/ are berth's own") });
        expect(finding(r, 'services.app.labels["has space"]')).toMatchObject({ kind: "refused", message: expect.stringContaining("not a key Kubernetes takes for an annotation") });
        expect(finding(r, `services.app.labels.${"a".repeat(64)}`)!.kind).toBe("refused");
        validOn(r, "kubernetes");
    });
});
