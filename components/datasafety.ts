/**
 * Data safety for volumes: a change that would replace an existing volume (and
 * so lose its data) fails before anything changes, unless that volume says
 * `allowDataLoss: true`.
 *
 * How: the app publishes a plain manifest as the stack output `berth`
 * (index.ts exports it). The next run reads its own stack's last outputs
 * with the engine's builtin `pulumi:pulumi:readStackOutputs` invoke (what a
 * StackReference reads, without a resource whose recorded outputs would show
 * as drift on every refresh), compares each volume's identity (the fields whose
 * change makes the target replace it) and rejects a changed identity. The
 * check is an input of the first resources every target registers (the
 * Kubernetes namespace, the Docker networks and volumes), so when it fails no
 * resource of the app is registered, in a preview or an update.
 */
import * as pulumi from "@pulumi/pulumi";
import { DeployContext } from "./target";

export class BerthDataLossError extends Error {
    constructor(stack: string, problems: string[]) {
        super(`berth: stack "${stack}" refuses to lose data:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
        this.name = "BerthDataLossError";
    }
}

/** What the app publishes about itself, for the data-safety check and for preview summaries. */
export interface Manifest {
    readonly target: "docker" | "kubernetes";
    readonly volumes: Record<string, { identity: Record<string, string>; retain: boolean; allowDataLoss: boolean }>;
}

/** The fields whose change replaces a volume on each target. */
export function volumeIdentity(kind: "docker" | "kubernetes", ctx: DeployContext, volume: string): Record<string, string> {
    const spec = ctx.volumes[volume];
    return kind === "docker"
        ? { name: `${ctx.project}-${ctx.stack}-${volume}`, driver: "local" }
        : { namespace: ctx.config.kubernetes!.namespace, name: volume, access: spec.access };
}

export function manifestOf(kind: "docker" | "kubernetes", ctx: DeployContext): Manifest {
    const volumes: Manifest["volumes"] = {};
    for (const [name, spec] of Object.entries(ctx.volumes)) {
        volumes[name] = { identity: volumeIdentity(kind, ctx, name), retain: spec.retain, allowDataLoss: spec.allowDataLoss };
    }
    return { target: kind, volumes };
}

/** Problems between the last deployed manifest and this one; empty when nothing would lose data. */
export function dataLossProblems(previous: Manifest | undefined, next: Manifest): string[] {
    const problems: string[] = [];
    if (!previous?.volumes) return problems;
    for (const [name, vol] of Object.entries(next.volumes)) {
        const before = previous.volumes[name]?.identity;
        if (!before || previous.target !== next.target || vol.allowDataLoss) continue;
        for (const [field, now] of Object.entries(vol.identity)) {
            if (before[field] !== undefined && before[field] !== now) {
                problems.push(
                    `volume ${name}: ${field} ${before[field]} -> ${now} would replace the volume and lose its data; ` +
                        `to allow it, set volumes.${name}.allowDataLoss: true (or berth:volumes.${name}.allowDataLoss in the stack)`,
                );
            }
        }
    }
    return problems;
}

export const READ_STACK_OUTPUTS = "pulumi:pulumi:readStackOutputs";

/**
 * An output that resolves to "ok" once the last deployed manifest is read and
 * nothing would lose data, and rejects with BerthDataLossError otherwise.
 */
export function dataSafetyGuard(ctx: DeployContext, next: Manifest, parent: pulumi.Resource): pulumi.Output<string> {
    const last = pulumi.runtime.invokeOutput<{ outputs?: { berth?: Manifest } }>(
        READ_STACK_OUTPUTS,
        { name: `${pulumi.getOrganization()}/${ctx.project}/${ctx.stack}` },
        { parent },
    );
    return last.apply((r) => {
        const problems = dataLossProblems(r.outputs?.berth, next);
        if (problems.length > 0) throw new BerthDataLossError(ctx.stack, problems);
        return "ok";
    });
}
