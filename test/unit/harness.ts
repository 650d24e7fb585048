/**
 * Renders an app with Pulumi mocks and records every registered resource:
 * its type, name, inputs, and the resource options it was given (captured by
 * a transformation on the App, which applies to every child).
 */
import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import { App, AppArgs } from "../../components/app";
import { AppInput } from "../../components/spec";

export interface Recorded {
    type: string;
    name: string;
    inputs: any;
    opts: { retainOnDelete?: boolean; protect?: boolean; deleteBeforeReplace?: boolean; replaceOnChanges?: string[]; ignoreChanges?: string[] };
}

export interface Rendered {
    resources: Recorded[];
    warnings: string[];
    outputs: Record<string, unknown>;
    byName(name: string): Recorded;
    ofType(type: string): Recorded[];
}

/**
 * Every registration the program made, done: the SDK's own queue of
 * outstanding RPCs (what it awaits before it disconnects), drained, including
 * registrations made later from inside outputs.
 */
const registrationsDone = async (): Promise<void> => {
    await (require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> }).waitForRPCs();
    // Then one turn of the event loop: with mocks every registration resolves as
    // a microtask, and a long run of renders (200 generated apps) would starve
    // the worker's own messages to vitest (its RPC deadline: an unhandled error).
    await new Promise((r) => setImmediate(r));
};

export async function render(
    spec: AppInput,
    config: Record<string, unknown>,
    opts: {
        stack?: string;
        secrets?: Record<string, string>;
        previousOutputs?: Record<string, unknown>;
        /** $KUBECONFIG while rendering. @default a kubeconfig of the local cluster (fixtures/kubeconfig-local.yaml) */
        kubeconfigEnv?: string;
        /** What a load-balancer controller gave the Services (status.loadBalancer.ingress). @default none */
        loadBalancerIngress?: { ip?: string; hostname?: string }[];
        /** A preview of new Services: the API server has assigned no node port yet. @default false (assigned: 30000, 30001, ...) */
        nodePortsUnassigned?: boolean;
        /** The App's name and args besides the spec. @default "demo", none */
        app?: { name?: string; args?: Omit<AppArgs, "spec"> };
        /** More Apps in the same program, created after it in order. */
        more?: { name: string; args: AppArgs }[];
    } = {},
): Promise<Rendered> {
    const stack = opts.stack ?? "test";
    const resources: Recorded[] = [];
    const allConfig: Record<string, string> = {};
    for (const [k, v] of Object.entries(config)) allConfig[`berth:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
    for (const [k, v] of Object.entries(opts.secrets ?? {})) allConfig[`berth:${k}`] = v;
    pulumi.runtime.setAllConfig(allConfig, Object.keys(opts.secrets ?? {}).map((k) => `berth:${k}`));
    await pulumi.runtime.setMocks(
        {
            newResource(args) {
                resources.push({ type: args.type, name: args.name, inputs: args.inputs, opts: optsByName.get(args.name) ?? {} });
                const state: Record<string, unknown> = { ...args.inputs };
                if (args.type === "docker:index/remoteImage:RemoteImage") state.imageId = `sha256:${args.name}`;
                // What the registry image's build and push would return: a digest reference.
                if (args.type === "pulumi-nodejs:dynamic/berth:RegistryImage") state.ref = `${args.inputs.repository}@sha256:${"0".repeat(52)}${args.inputs.tag}`;
                // The Kubernetes provider's autonaming: the resource's name and a random suffix.
                if (args.type.startsWith("kubernetes:") && args.inputs.metadata && !args.inputs.metadata.name) {
                    state.metadata = { ...args.inputs.metadata, name: `${args.name}-r4nd0m` };
                }
                if (args.type === "kubernetes:core/v1:Service") {
                    state.spec = { ...args.inputs.spec, ports: (args.inputs.spec?.ports ?? []).map((p: any, i: number) => (opts.nodePortsUnassigned ? p : { ...p, nodePort: 30000 + i })) };
                    // A read of the live Service (args.id set) has no inputs: what the cluster reports.
                    state.status = { loadBalancer: opts.loadBalancerIngress ? { ingress: opts.loadBalancerIngress } : {} };
                }
                return { id: `${args.name}-id`, state };
            },
            // The stack's own last outputs, as the data-safety check reads them.
            call: (args) => (args.token === "pulumi:pulumi:readStackOutputs" ? { name: args.inputs.name, outputs: opts.previousOutputs ?? {} } : args.inputs),
        },
        "berth",
        stack,
        true,
        "organization",
    );
    const warnings: string[] = [];
    const origWarn = pulumi.log.warn;
    (pulumi.log as any).warn = (msg: string) => {
        warnings.push(msg);
        return Promise.resolve();
    };
    const optsByName = new Map<string, Recorded["opts"]>();
    const record: pulumi.ResourceTransformation = (a) => {
        optsByName.set(a.name, {
            retainOnDelete: a.opts.retainOnDelete,
            protect: a.opts.protect,
            deleteBeforeReplace: (a.opts as pulumi.CustomResourceOptions).deleteBeforeReplace,
            replaceOnChanges: a.opts.replaceOnChanges,
            ignoreChanges: a.opts.ignoreChanges,
        });
        return undefined;
    };
    const outputs: Record<string, unknown> = {};
    const kubeconfigEnv = process.env.KUBECONFIG;
    process.env.KUBECONFIG = opts.kubeconfigEnv ?? path.join(__dirname, "fixtures", "kubeconfig-local.yaml");
    try {
        let app: App;
        try {
            app = await App.create(opts.app?.name ?? "demo", { spec, ...opts.app?.args }, { transformations: [record] });
            for (const m of opts.more ?? []) await App.create(m.name, m.args, { transformations: [record] });
        } catch (e) {
            // What was registered before the rejection (the tests expect nothing).
            await registrationsDone();
            (e as { registered?: Recorded[] }).registered = resources;
            throw e;
        }
        app.urls.apply((u) => (outputs.urls = u));
        outputs.berth = app.manifest; // the stack output `berth` (a plain Manifest)
        await registrationsDone();
    } finally {
        (pulumi.log as any).warn = origWarn;
        if (kubeconfigEnv === undefined) delete process.env.KUBECONFIG;
        else process.env.KUBECONFIG = kubeconfigEnv;
    }
    return {
        resources,
        warnings,
        outputs,
        byName(name) {
            const r = resources.find((x) => x.name === name);
            if (!r) throw new Error(`no resource named ${name}; have: ${resources.map((x) => x.name).join(", ")}`);
            return r;
        },
        ofType(type) {
            return resources.filter((x) => x.type === type);
        },
    };
}

/** The rejection of a render, with what was registered before it (the tests expect nothing); throws when the render succeeds. */
export async function refusal(spec: AppInput, config: Record<string, unknown>): Promise<Error & { registered?: unknown[] }> {
    let rendered: Rendered | undefined;
    try {
        rendered = await render(spec, config);
    } catch (e) {
        const registered = (e as { registered?: unknown[] }).registered;
        if (registered?.length) throw new Error(`refused, but only after registering ${registered.length} resources: ${JSON.stringify(registered)}`);
        return e as Error;
    }
    throw new Error(`expected a refusal, but ${rendered.resources.length} resources were registered`);
}
