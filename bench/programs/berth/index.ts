// berth's program for the bench: App.create with the demo (bench:app demo,
// web published on bench:port, build contexts under bench:src) or the
// N-service app (bench:app scale, bench:services N). The stack's berth:*
// config is the ordinary one (target, docker or kubernetes, dbPassword).
import * as pulumi from "@pulumi/pulumi";
import { App } from "../../../components/app";
import { demoApp, scaleApp } from "../../apps";

export = async () => {
    const bench = new pulumi.Config("bench");
    const which = bench.require("app");
    const spec = which === "demo" ? demoApp(bench.require("src"), bench.requireNumber("port")) : scaleApp(bench.requireNumber("services"));
    // berth's spec has no node placement: pods land on the simulated kwok node
    // (tainted berth.dev/fake-node) only through a transformation of the
    // workloads that the App's options carry to every child.
    const onFakeNode = bench.getBoolean("fakeNode") ?? false;
    const transformations: pulumi.ResourceTransformation[] = onFakeNode
        ? [
              (a) => {
                  if (a.type !== "kubernetes:apps/v1:Deployment") return undefined;
                  const spec = a.props.spec.template.spec;
                  spec.nodeSelector = { type: "kwok" };
                  spec.tolerations = [{ key: "berth.dev/fake-node", operator: "Exists", effect: "NoSchedule" }];
                  return { props: a.props, opts: a.opts };
              },
          ]
        : [];
    const app = await App.create("demo", { spec: spec as never }, { transformations });
    return { target: app.target, url: app.urls.apply((u) => u.web), berth: app.manifest };
};
