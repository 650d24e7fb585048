// The SDK's debug messages after a resource RPC print the whole response with
// secret values unwrapped; berth leaves the response out (components/sdklog.ts).
// The e2e suites scan every engine event for the secrets (docker, kubernetes).
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { FILTERED, keepSecretsOutOfDebugLogs, withoutRpcResponse } from "../../components/sdklog";
import { demo } from "../../services/demo";
import { render } from "./harness";

// As @pulumi/pulumi 3.276's runtime/resource.js writes it, with a Kubernetes Secret's response.
const registered =
    "RegisterResource RPC finished: resource:demo-db-secret[kubernetes:core/v1:Secret]; err: null, resp: urn:pulumi:s::berth::kubernetes:core/v1:Secret::demo-db-secret,ns/demo-db-secret-bb1a4565,data,,,,,4dabf18193072939515e22adb298388d,,,1b47061264138c4ac30d75fd1eb44270,value,,,,,POSTGRES_PASSWORD,,,cHctc2VjcmV0";

describe("debug messages of resource RPCs", () => {
    it("keep which RPC, which resource and the error, and leave the response out", () => {
        expect(withoutRpcResponse(registered)).toBe(
            "RegisterResource RPC finished: resource:demo-db-secret[kubernetes:core/v1:Secret]; err: null, resp: (left out by berth: it may hold secret values)",
        );
        for (const rpc of ["ReadResource", "Invoke", "Call", "RegisterResourceOutputs", "getResource Invoke"]) {
            expect(withoutRpcResponse(`${rpc} RPC finished: x; err: null, resp: secret\nvalue`)).toBe(`${rpc} RPC finished: x; err: null, resp: (left out by berth: it may hold secret values)`);
        }
        expect(withoutRpcResponse("Resource RPC serialization requested: x is current")).toBe("Resource RPC serialization requested: x is current");
    });

    it("the filter is put once in front of a log's debug, and App.create puts it in front of the SDK's", async () => {
        const seen: string[] = [];
        const log = { debug: (msg: string) => (seen.push(msg), Promise.resolve()) };
        keepSecretsOutOfDebugLogs(log);
        keepSecretsOutOfDebugLogs(log);
        await log.debug(registered);
        expect(seen).toEqual([withoutRpcResponse(registered)]);
        await render(demo, { target: "docker" }, { secrets: { dbPassword: "pw" } });
        expect((pulumi.log.debug as unknown as Record<symbol, boolean>)[FILTERED]).toBe(true);
    });
});
