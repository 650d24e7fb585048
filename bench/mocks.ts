// Renders a program function with Pulumi mocks (no engine, no provider) and
// records what it registers: the same mocks as test/unit/harness.ts, for the
// hand-written program, which has no App to hang a transformation on.
import * as pulumi from "@pulumi/pulumi";

export interface Registered {
    type: string;
    name: string;
    inputs: any;
}

async function settle(count: () => number): Promise<void> {
    let last = -1;
    let still = 0;
    while (still < 5) {
        await new Promise((r) => setTimeout(r, 5));
        const n = count();
        still = n === last ? still + 1 : 0;
        last = n;
    }
}

export async function renderProgram(fn: () => void, config: Record<string, string>, secrets: string[] = [], stack = "test"): Promise<Registered[]> {
    const resources: Registered[] = [];
    pulumi.runtime.setAllConfig(config, secrets);
    await pulumi.runtime.setMocks(
        {
            newResource(args) {
                resources.push({ type: args.type, name: args.name, inputs: args.inputs });
                const state: Record<string, unknown> = { ...args.inputs };
                if (args.type === "docker:index/remoteImage:RemoteImage") state.imageId = `sha256:${args.name}`;
                return { id: `${args.name}-id`, state };
            },
            call: (args) => args.inputs,
        },
        "berth",
        stack,
        true,
        "organization",
    );
    fn();
    await settle(() => resources.length);
    return resources;
}
