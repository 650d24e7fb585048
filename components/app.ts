/**
 * berth's component resources. `App` takes the plain description, validates
 * it with the stack's config before registering anything, and builds one
 * `Network`, `Volume` and `Service` component per entry on the stack's target.
 */
import * as pulumi from "@pulumi/pulumi";
import { checkDataSafety } from "./datasafety";
import { contextHash } from "./images";
import { Manifest, manifestOf } from "./manifest";
import { dockerTarget } from "./docker";
import { kubernetesTarget } from "./kubernetes";
import { AppInput, NetworkSpec, VolumeSpec, own } from "./spec";
import { DeployContext, ResolvedService, Target } from "./target";
import { validate, volumeWithOverrides, withOverrides } from "./validate";

export interface AppArgs {
    /** The app description; see components/spec.ts for every field. */
    readonly spec: AppInput;
    /**
     * The stack's raw `berth:*` config.
     * @default read from the running stack's config
     */
    readonly config?: Record<string, unknown>;
}

export class Network extends pulumi.ComponentResource {
    constructor(name: string, args: { spec: NetworkSpec; target: Target }, opts?: pulumi.ComponentResourceOptions) {
        super("berth:app:Network", name, {}, opts);
        args.target.network(name, args.spec, this);
        this.registerOutputs({});
    }
}

export class Volume extends pulumi.ComponentResource {
    constructor(name: string, args: { spec: VolumeSpec; target: Target }, opts?: pulumi.ComponentResourceOptions) {
        super("berth:app:Volume", name, {}, opts);
        args.target.volume(name, args.spec, this);
        this.registerOutputs({});
    }
}

export class Service extends pulumi.ComponentResource {
    /** Where the service answers from outside the app, when it publishes a port. */
    readonly url?: pulumi.Output<string>;
    /** What a dependent waits for. */
    readonly readyWhen: pulumi.Resource[];

    constructor(name: string, args: { service: ResolvedService; target: Target; dependsOn: Service[] }, opts?: pulumi.ComponentResourceOptions) {
        super("berth:app:Service", name, {}, opts);
        const handle = args.target.service(
            args.service,
            args.dependsOn.flatMap((d) => d.readyWhen),
            this,
        );
        this.url = handle.url;
        this.readyWhen = handle.readyWhen;
        this.registerOutputs({ url: this.url });
    }
}

/** The validated description with the stack's overrides applied, and its manifest. */
function plan(args: AppArgs): { ctx: DeployContext; manifest: Manifest } {
    const stackName = pulumi.getStack();
    const { app, stack } = validate(stackName, args.spec, args.config);
    const services: Record<string, ResolvedService> = {};
    for (const [svcName, svc] of Object.entries(app.services)) {
        services[svcName] = { ...withOverrides(svc, own(stack.services, svcName)), name: svcName };
    }
    const ctx: DeployContext = {
        project: pulumi.getProject(),
        stack: stackName,
        config: stack,
        services,
        networks: { default: { internal: false }, ...app.networks },
        volumes: Object.fromEntries(Object.entries(app.volumes).map(([v, spec]) => [v, volumeWithOverrides(spec, own(stack.volumes, v))])),
    };
    const manifest = manifestOf(stack.target, ctx, (s) => {
        const b = services[s].build;
        return b ? `build ${b.context}@${contextHash(b.context)}` : services[s].image!;
    });
    return { ctx, manifest };
}

export class App extends pulumi.ComponentResource {
    /** The services, by name. */
    readonly services: Readonly<Record<string, Service>>;
    /** Published URLs, by service name. */
    readonly urls: pulumi.Output<Record<string, string>>;
    readonly target: "docker" | "kubernetes";
    /** A plain description of what was deployed; export it as the stack output `berth` (data safety, summaries). */
    readonly manifest: Manifest;

    /**
     * Validates the description, checks that nothing would lose data (the last
     * deployed manifest against this one), then builds the app. Throws before
     * registering anything when either check fails. The program's entry point.
     */
    static async create(name: string, args: AppArgs, opts?: pulumi.ComponentResourceOptions): Promise<App> {
        const { ctx, manifest } = plan(args);
        await checkDataSafety(ctx, manifest);
        return new App(name, args, opts);
    }

    /** Builds the app without the data-safety check (App.create runs it first). */
    constructor(name: string, args: AppArgs, opts?: pulumi.ComponentResourceOptions) {
        // Validate before anything is registered: bad input changes nothing.
        const { ctx, manifest } = plan(args);
        super("berth:app:App", name, {}, opts);
        const services = ctx.services;
        this.manifest = manifest;
        const target: Target = ctx.config.target === "docker" ? dockerTarget(name, ctx, this) : kubernetesTarget(name, ctx, this);
        this.target = target.kind;

        const usedNetworks = new Set(Object.values(services).flatMap((s) => s.networks));
        for (const [netName, spec] of Object.entries(ctx.networks)) {
            if (!usedNetworks.has(netName)) continue;
            new Network(`${name}-${netName}`, { spec, target }, { parent: this });
        }
        for (const [volName, spec] of Object.entries(ctx.volumes)) {
            new Volume(`${name}-${volName}`, { spec, target }, { parent: this });
        }

        // Services in dependency order (validation guarantees a DAG).
        const built: Record<string, Service> = {};
        const build = (svcName: string): Service => {
            if (Object.hasOwn(built, svcName)) return built[svcName];
            const svc = services[svcName];
            const deps = Object.keys(svc.dependsOn).map(build);
            built[svcName] = new Service(`${name}-${svcName}`, { service: svc, target, dependsOn: deps }, { parent: this });
            return built[svcName];
        };
        Object.keys(services).forEach(build);
        this.services = built;

        const urls: Record<string, pulumi.Output<string>> = {};
        for (const [svcName, svc] of Object.entries(built)) if (svc.url) urls[svcName] = svc.url;
        this.urls = pulumi.output(urls);
        this.registerOutputs({ urls: this.urls, manifest: this.manifest });
    }
}
