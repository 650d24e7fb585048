/**
 * berth's component resources. `App.create` takes the plain description,
 * validates it with the stack's config and the program's settings before
 * registering anything, checks that nothing would lose data, and builds one
 * `Network`, `Volume` and `Service` component per entry on the stack's
 * target (drivers.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import { checkDataSafety } from "./datasafety";
import { TargetSettings, driverOf } from "./drivers";
import { buildTag } from "./images";
import { Manifest, manifestOf } from "./manifest";
import { keepSecretsOutOfDebugLogs } from "./sdklog";
import { AppInput, NetworkSpec, VolumeSpec, isRecord, own } from "./spec";
import { DeployContext, ResolvedService, Target } from "./target";
import { BerthError, BerthInputError, validate, volumeWithOverrides, withOverrides } from "./validate";

export interface AppArgs {
    /** The app description; see components/spec.ts for every field. */
    readonly spec: AppInput;
    /**
     * The stack's raw `berth:*` config.
     * @default read from the running stack's config
     */
    readonly config?: Record<string, unknown>;
    /**
     * Target settings, over the stack's `berth:<target>` key by key, e.g.
     * `{ kubernetes: { namespace: "blog" } }` or `{ docker: { namePrefix: "berth-dev-blog" } }`
     * for a second App in one stack. Plain values: a namespace or a name that
     * is unknown at preview would blind the data-safety check.
     * @default the stack's `berth:<target>`
     */
    readonly settings?: TargetSettings;
    /**
     * Secret values by config key (the `config` of a service's secret), over
     * the stack's `berth:<key>`. Marked secret whatever they are given as.
     * @default the stack's secret config
     */
    readonly secrets?: Readonly<Record<string, pulumi.Input<string>>>;
}

export class Network extends pulumi.ComponentResource {
    /** What the target made for it; the services that join it are given it. */
    readonly handle: unknown;
    constructor(name: string, args: { spec: NetworkSpec; target: Target }, opts?: pulumi.ComponentResourceOptions) {
        super("berth:app:Network", name, {}, opts);
        this.handle = args.target.network(name, args.spec, this);
        this.registerOutputs({});
    }
}

export class Volume extends pulumi.ComponentResource {
    /** What the target made for it; the services that mount it are given it. */
    readonly handle: unknown;
    constructor(name: string, args: { spec: VolumeSpec; target: Target }, opts?: pulumi.ComponentResourceOptions) {
        super("berth:app:Volume", name, {}, opts);
        this.handle = args.target.volume(name, args.spec, this);
        this.registerOutputs({});
    }
}

export interface ServiceArgs {
    readonly service: ResolvedService;
    readonly target: Target;
    /** The networks it joins and the volumes it mounts, by name (at least those). */
    readonly networks: Readonly<Record<string, Network>>;
    readonly volumes: Readonly<Record<string, Volume>>;
    /** The services it depends on. */
    readonly dependsOn: Service[];
}

export class Service extends pulumi.ComponentResource {
    /** Where the service answers from outside the app, when it publishes a port. */
    readonly url?: pulumi.Output<string>;
    /** What a dependent waits for. */
    readonly readyWhen: pulumi.Resource[];

    constructor(name: string, args: ServiceArgs, opts?: pulumi.ComponentResourceOptions) {
        super("berth:app:Service", name, {}, opts);
        const svc = args.service;
        const handle = args.target.service(
            svc,
            {
                networks: Object.fromEntries(svc.networks.map((n) => [n, args.networks[n].handle])),
                volumes: Object.fromEntries(svc.volumes.map((m) => [m.volume, args.volumes[m.volume].handle])),
                dependsOn: args.dependsOn.flatMap((d) => d.readyWhen),
            },
            this,
        );
        this.url = handle.url;
        this.readyWhen = handle.readyWhen;
        this.registerOutputs({ url: this.url });
    }
}

/** What App.create decided before registering anything: the context the target builds from, the manifest, the driver. */
interface Plan {
    readonly ctx: DeployContext;
    readonly manifest: Manifest;
}

/**
 * The physical names each App of this program run took (claim -> App name),
 * per run: unit tests render many runs in one process, each with its own
 * monitor.
 */
const takenByRun = new WeakMap<object, Map<string, string>>();
const thisProcess = {};
function takenNames(): Map<string, string> {
    const run = (pulumi.runtime.getMonitor() as object | undefined) ?? thisProcess;
    let taken = takenByRun.get(run);
    if (!taken) takenByRun.set(run, (taken = new Map()));
    return taken;
}

/** Validates the description with the stack's config and the program's args, and takes the App's physical names. */
function plan(name: string, args: AppArgs): Plan {
    const stackName = pulumi.getStack();
    const { app, stack, settings } = validate(stackName, args.spec, args.config, undefined, {
        settings: args.settings,
        secrets: Object.keys(args.secrets ?? {}),
    });
    const driver = driverOf(stack.target);
    const services: Record<string, ResolvedService> = {};
    for (const [svcName, svc] of Object.entries(app.services)) {
        services[svcName] = { ...withOverrides(svc, own(stack.services, svcName), stack.images), name: svcName };
    }
    const berth = new pulumi.Config("berth");
    const ctx: DeployContext = {
        project: pulumi.getProject(),
        stack: stackName,
        config: stack,
        settings,
        services,
        networks: { default: { internal: false }, ...app.networks },
        volumes: Object.fromEntries(Object.entries(app.volumes).map(([v, spec]) => [v, volumeWithOverrides(spec, own(stack.volumes, v))])),
        secret(key) {
            const given = own(args.secrets ?? {}, key);
            if (given !== undefined) return pulumi.secret(given);
            // Validation made sure the stack has it, set with --secret.
            return args.config && isRecord(args.config) && Object.hasOwn(args.config, key) ? pulumi.secret(String(args.config[key])) : berth.requireSecret(key);
        },
    };
    const taken = takenNames();
    const clashes = driver
        .claims(ctx)
        .filter((c) => taken.has(c) && taken.get(c) !== name)
        .map((c) => `app ${name}: ${c} is app ${taken.get(c)}'s already; two Apps in one stack need their own (pass settings.${driver.kind} to one of them: see docs/reference.md, "Several apps in one stack")`);
    if (clashes.length > 0) throw new BerthInputError(stackName, clashes);
    for (const c of driver.claims(ctx)) taken.set(c, name);
    const manifest = manifestOf(driver, ctx, (s) => {
        const b = services[s].build;
        return b ? `build ${b.context}@${buildTag(b)}` : services[s].image!;
    });
    return { ctx, manifest };
}

/** The only way to the constructor: App.create, after the data-safety check. */
const CHECKED = Symbol("berth.App: data safety checked");

export class App extends pulumi.ComponentResource {
    /** The App's name: the start of its children's names, and its key in the `berth` stack output. */
    readonly name: string;
    /** The services, by name. */
    readonly services: Readonly<Record<string, Service>>;
    /** Published URLs, by service name. */
    readonly urls: pulumi.Output<Record<string, string>>;
    /** The target it deploys to (drivers.ts). */
    readonly target: string;
    /** A plain description of what was deployed; export it as the stack output `berth` (berthOutput), which the data-safety check reads back. */
    readonly manifest: Manifest;

    /**
     * Validates the description, checks that nothing would lose data (the last
     * deployed manifest against this one), then builds the app. Throws before
     * registering anything when either check fails. The program's entry point.
     */
    static async create(name: string, args: AppArgs, opts?: pulumi.ComponentResourceOptions): Promise<App> {
        keepSecretsOutOfDebugLogs();
        const planned = plan(name, args);
        await checkDataSafety(name, planned.ctx, planned.manifest);
        return new App(name, { [CHECKED]: planned }, opts);
    }

    /** Use `App.create`: it checks that nothing would lose data first. */
    private constructor(name: string, checked: { [CHECKED]: Plan }, opts?: pulumi.ComponentResourceOptions) {
        const planned = checked?.[CHECKED];
        if (!planned) throw new BerthError(`berth: app ${name}: use \`await App.create(name, args)\`, which checks that the change loses no data before it builds the app`);
        super("berth:app:App", name, {}, opts);
        const { ctx, manifest } = planned;
        this.name = name;
        const services = ctx.services;
        this.manifest = manifest;
        this.target = manifest.target;
        const target = driverOf(manifest.target).deploy(name, ctx, this);

        const usedNetworks = new Set(Object.values(services).flatMap((s) => s.networks));
        const networks: Record<string, Network> = {};
        for (const [netName, spec] of Object.entries(ctx.networks)) {
            if (!usedNetworks.has(netName)) continue;
            networks[netName] = new Network(`${name}-${netName}`, { spec, target }, { parent: this });
        }
        const volumes: Record<string, Volume> = {};
        for (const [volName, spec] of Object.entries(ctx.volumes)) {
            volumes[volName] = new Volume(`${name}-${volName}`, { spec, target }, { parent: this });
        }

        // Services in dependency order (validation guarantees a DAG).
        const built: Record<string, Service> = {};
        const build = (svcName: string): Service => {
            if (Object.hasOwn(built, svcName)) return built[svcName];
            const svc = services[svcName];
            const deps = Object.keys(svc.dependsOn).map(build);
            built[svcName] = new Service(`${name}-${svcName}`, { service: svc, target, networks, volumes, dependsOn: deps }, { parent: this });
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

/**
 * The stack output `berth` for a program's Apps: what the data-safety check
 * reads back on the next run (export it as `berth`). One App: its manifest, as
 * berth always wrote it; several: `{ apps: { <name>: manifest } }`.
 */
export function berthOutput(...apps: App[]): Manifest | { apps: Record<string, Manifest> } {
    if (apps.length === 1) return apps[0].manifest;
    return { apps: Object.fromEntries(apps.map((a) => [a.name, a.manifest])) };
}
