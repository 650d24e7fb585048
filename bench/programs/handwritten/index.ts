// The hand-written program for the bench, with the same stack config keys as
// bench/programs/berth (bench:app, bench:services, bench:src, bench:port, and
// berth:target, berth:kubernetes, berth:dbPassword read as plain config).
import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import { demoDocker, scaleDocker, scaleKubernetes } from "./app";

export = async () => {
    const bench = new pulumi.Config("bench");
    const berth = new pulumi.Config("berth");
    const project = "berth"; // the prefix berth's program gives Docker names (its project's)
    const stack = pulumi.getStack();
    const which = bench.require("app");
    if (berth.require("target") === "docker") {
        if (which === "demo")
            demoDocker({
                project,
                stack,
                src: bench.require("src"),
                lbContext: path.resolve(__dirname, "../../../components/lb"),
                port: bench.requireNumber("port"),
                password: berth.requireSecret("dbPassword"),
            });
        else scaleDocker({ project, stack, services: bench.requireNumber("services") });
    } else {
        const kc = berth.requireObject<{ namespace: string; kubeconfig?: string; context?: string }>("kubernetes");
        scaleKubernetes({ project, stack, services: bench.requireNumber("services"), namespace: kc.namespace, kubeconfig: kc.kubeconfig, context: kc.context, fakeNode: bench.getBoolean("fakeNode") });
    }
    return {};
};
