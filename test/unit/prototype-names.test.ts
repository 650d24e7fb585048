// Names that every JavaScript object inherits (`constructor`, `toString`) are
// valid service, volume and env names, and must mean what they say: never a
// lookup that finds Object.prototype's member instead of the user's entry.
// `__proto__` as an env name would vanish as an object key, so it is refused.
// (Found by the generated inputs of generated-invalid.test.ts, which leave
// these names out.)
import { describe, expect, it } from "vitest";
import { render } from "./harness";

const docker = { target: "docker" };
const kubernetes = { target: "kubernetes", kubernetes: { namespace: "x" } };

async function rejection(spec: unknown, config: Record<string, unknown>): Promise<{ message: string; registered: unknown[] }> {
    return render(spec as any, config).then(
        () => {
            throw new Error("accepted");
        },
        (e) => ({ message: String(e.message), registered: e.registered ?? [] }),
    );
}

describe("names that Object.prototype also has", () => {
    it.each([
        ["docker", docker, "docker:index/container:Container"],
        ["kubernetes", kubernetes, "kubernetes:apps/v1:Deployment"],
    ])("a service named constructor is deployed on %s", async (_t, config, type) => {
        const r = await render({ services: { constructor: { image: "redis:7", ports: [{ port: 6379 }] } } } as any, config);
        expect(r.ofType(type).map((x) => x.name)).toEqual([type.startsWith("docker") ? "demo-constructor-0" : "demo-constructor-deployment"]);
    });

    it("a mount of an undeclared volume named constructor is refused, naming the mount", async () => {
        const e = await rejection({ services: { a: { image: "redis:7", volumes: [{ volume: "constructor", path: "/x" }] } } }, docker);
        expect(e.message).toContain('app.services.a.volumes[0].volume: volume "constructor" is not declared in volumes');
        expect(e.registered).toEqual([]);
    });

    it("a dependency on a service named constructor that does not exist is refused as unknown", async () => {
        const e = await rejection({ services: { a: { image: "redis:7", dependsOn: { constructor: "healthy" } } } }, docker);
        expect(e.message).toContain('app.services.a.dependsOn.constructor: unknown service "constructor"');
        expect(e.registered).toEqual([]);
    });

    it("a stack's override of a volume named constructor that the app lacks is refused as unknown", async () => {
        const e = await rejection({ services: { a: { image: "redis:7" } } }, { ...docker, volumes: JSON.parse('{"constructor":{"size":"1Gi"}}') });
        expect(e.message).toMatch(/berth:volumes\.constructor: unknown volume/);
    });

    it("an env var named __proto__ (from a stack file, as JSON) is refused instead of silently dropped", async () => {
        const e = await rejection({ services: { a: { image: "redis:7" } } }, { ...docker, services: JSON.parse('{"a":{"env":{"__proto__":"v"}}}') });
        expect(e.message).toContain('berth:services.a.env["__proto__"]: __proto__ is reserved');
        const e2 = await rejection({ services: { a: { image: "redis:7", env: JSON.parse('{"__proto__":"v"}') } } }, docker);
        expect(e2.message).toContain('app.services.a.env["__proto__"]: __proto__ is reserved');
    });
});
