/**
 * Keeps secret values out of the engine's event stream. The Pulumi Node.js SDK
 * (3.276) sends the engine a debug diagnostic after each resource RPC with
 * the whole response printed and secret values unwrapped ("RegisterResource
 * RPC finished: ...; err: null, resp: ..."); the engine passes it on in its
 * events (the Automation API's `onEvent`, `pulumi up --event-log`, `--debug`).
 * For a Kubernetes Secret that response holds the value (its `data`, base64).
 * berth leaves the response out of those messages and keeps the rest (which
 * RPC, for which resource, and its error).
 */
import * as pulumi from "@pulumi/pulumi";

const RESPONSE = /^((?:RegisterResource|RegisterResourceOutputs|ReadResource|Invoke|Call|getResource Invoke) RPC finished: [\s\S]*?, resp: )[\s\S]*$/;

/** A debug message as berth lets it reach the engine: an RPC's response left out. */
export const withoutRpcResponse = (msg: string) => msg.replace(RESPONSE, "$1(left out by berth: it may hold secret values)");

/** Marks berth's wrapper, so that it is put in place once per process. */
export const FILTERED = Symbol.for("berth.dev/debug-filter");

/** Wraps the SDK's `log.debug` (which its runtime calls through the module object), once. */
export function keepSecretsOutOfDebugLogs(log: { debug: typeof pulumi.log.debug } = pulumi.log): void {
    const debug = log.debug;
    if ((debug as { [FILTERED]?: boolean })[FILTERED]) return;
    const filtered: typeof debug = (msg, ...rest) => debug(withoutRpcResponse(msg), ...rest);
    log.debug = Object.assign(filtered, { [FILTERED]: true });
}
