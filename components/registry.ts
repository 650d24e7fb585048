/**
 * An image that berth builds from a service's context and pushes to the
 * stack's registry, so that a cluster pulls it the way a real one does and
 * workloads reference it by digest (`<registry>/<project>-<service>@sha256:...`).
 *
 * A Pulumi dynamic resource that drives the local Docker engine's CLI
 * (`docker build`, `docker push`): @pulumi/docker's Image would do the same
 * through the pulumi-resource-docker plugin, which cannot be built where the Go
 * module proxy refuses its module (scripts/toolchain.sh). The engine runs it
 * through pulumi-resource-pulumi-nodejs, which setup puts beside the CLI.
 *
 * The tag is the context's content hash (images.ts): an unchanged context is
 * the same image and no rollout, a changed one is a new image. Deleting the
 * resource leaves the image in the registry (other stacks may run it).
 */
import * as pulumi from "@pulumi/pulumi";

export interface RegistryImageArgs {
    /** Build context folder. */
    readonly context: pulumi.Input<string>;
    /** Dockerfile path inside the context. @default "Dockerfile" */
    readonly dockerfile?: pulumi.Input<string>;
    /** Repository in the registry, with the registry host: `127.0.0.1:5000/berth-web`. */
    readonly repository: pulumi.Input<string>;
    /** Tag: the build's content hash (images.ts, buildTag). */
    readonly tag: pulumi.Input<string>;
    /** The Dockerfile stage to build (`docker build --target`). @default the last */
    readonly target?: pulumi.Input<string>;
    /** Build arguments (`docker build --build-arg NAME=value`). @default none */
    readonly args?: pulumi.Input<Record<string, string>>;
}

interface Inputs {
    context: string;
    dockerfile?: string;
    repository: string;
    tag: string;
    target?: string;
    args?: Record<string, string>;
}

/** The `docker build` command line for these inputs (captured with buildAndPush when the engine serializes it). */
export function dockerBuildArgs(inputs: Inputs, image: string, dockerfile: string): string[] {
    const args = Object.entries(inputs.args ?? {}).flatMap(([k, v]) => ["--build-arg", `${k}=${v}`]);
    return ["build", "--quiet", "--tag", image, "--file", dockerfile, ...(inputs.target ? ["--target", inputs.target] : []), ...args, inputs.context];
}

interface State extends Inputs {
    /** `repository@sha256:...`: what workloads reference. */
    ref: string;
    digest: string;
}

/** Builds and pushes; returns the pushed digest. Everything it needs is required inside: the engine serializes it. */
async function buildAndPush(inputs: Inputs): Promise<State> {
    const { spawn } = require("child_process") as typeof import("child_process");
    const path = require("path") as typeof import("path");
    const docker = (args: string[]) =>
        new Promise<string>((resolve, reject) => {
            const p = spawn("docker", args, { stdio: ["ignore", "pipe", "pipe"] });
            let out = "";
            p.stdout.on("data", (d: Buffer) => (out += d));
            p.stderr.on("data", (d: Buffer) => (out += d));
            p.on("error", (e: Error) => reject(new Error(`berth: docker ${args[0]} could not start (${e.message}): is the Docker CLI installed? (npm run setup)`)));
            p.on("close", (code: number) =>
                code === 0 ? resolve(out) : reject(new Error(`berth: docker ${args.join(" ")} failed (exit ${code}):\n${out.split("\n").slice(-25).join("\n")}`)),
            );
        });
    const image = `${inputs.repository}:${inputs.tag}`;
    const dockerfile = path.join(inputs.context, inputs.dockerfile ?? "Dockerfile");
    await docker(dockerBuildArgs(inputs, image, dockerfile));
    await docker(["push", "--quiet", image]);
    const digests: string[] = JSON.parse(await docker(["image", "inspect", "--format", "{{json .RepoDigests}}", image]));
    const ref = digests.find((d) => d.startsWith(`${inputs.repository}@`));
    if (!ref) throw new Error(`berth: pushed ${image} but Docker reports no digest for ${inputs.repository} (it has ${digests.join(", ") || "none"})`);
    return { ...inputs, ref, digest: ref.slice(ref.indexOf("@") + 1) };
}

/** The digest the registry holds for repository:tag, if it answers (registries on 127.0.0.1/localhost speak plain HTTP). */
async function registryDigest(repository: string, tag: string): Promise<string | undefined> {
    const slash = repository.indexOf("/");
    const host = repository.slice(0, slash);
    const name = repository.slice(slash + 1);
    const scheme = /^(127\.|localhost[:]?)/.test(host) ? "http" : "https";
    const accept = [
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    ].join(", ");
    try {
        const res = await fetch(`${scheme}://${host}/v2/${name}/manifests/${tag}`, { method: "HEAD", headers: { Accept: accept } });
        if (res.status === 404) return "";
        return res.ok ? (res.headers.get("docker-content-digest") ?? undefined) : undefined;
    } catch {
        return undefined;
    }
}

const provider: pulumi.dynamic.ResourceProvider = {
    async diff(_id: pulumi.ID, olds: State, news: Inputs) {
        const replaces = (["repository", "tag"] as const).filter((k) => olds[k] !== news[k]);
        // No digest: a refresh found the image gone from the registry; push it again.
        const args = (a: Record<string, string> | undefined) => JSON.stringify(Object.entries(a ?? {}).sort());
        return {
            changes: replaces.length > 0 || !olds.digest || olds.context !== news.context || olds.dockerfile !== news.dockerfile || olds.target !== news.target || args(olds.args) !== args(news.args),
            replaces,
            deleteBeforeReplace: false,
        };
    },
    async create(inputs: Inputs) {
        const outs = await buildAndPush(inputs);
        return { id: outs.ref, outs };
    },
    async update(_id: pulumi.ID, _olds: State, news: Inputs) {
        return { outs: await buildAndPush(news) };
    },
    async read(id: pulumi.ID, props: State) {
        // Refresh: the registry still holds the same digest under the tag, or the
        // image is gone ("" digest: the next up pushes it again), or it does not answer (keep).
        const digest = await registryDigest(props.repository, props.tag);
        if (digest === undefined || digest === props.digest) return { id, props };
        return { id, props: { ...props, digest, ref: digest ? `${props.repository}@${digest}` : "" } };
    },
    async delete() {
        // The image stays in the registry.
    },
};

/**
 * The provider that runs berth's dynamic resources. Explicit, because the
 * engine gives the default `pulumi-nodejs` provider the whole stack config as
 * its inputs, secrets included (pkg/resource/deploy/target.go, GetPackageConfig),
 * and then stores them in that provider's state and updates it on every config
 * edit. This one gets no config: the image builds need none.
 */
export class DynamicProviderHost extends pulumi.ProviderResource {
    constructor(name: string, opts?: pulumi.ResourceOptions) {
        super("pulumi-nodejs", name, {}, opts);
    }
}

/** An image built from a context and pushed to a registry; `ref` is the digest reference to run. */
export class RegistryImage extends pulumi.dynamic.Resource {
    /** `repository@sha256:...`. */
    declare readonly ref: pulumi.Output<string>;
    declare readonly digest: pulumi.Output<string>;

    constructor(name: string, args: RegistryImageArgs, opts?: pulumi.CustomResourceOptions) {
        super(provider, name, { ...args, ref: undefined, digest: undefined }, opts, "berth", "RegistryImage");
    }
}
