/**
 * berth's entry module: what a Pulumi program imports to describe an app once
 * and deploy it to Docker or Kubernetes.
 *
 *     import { App, AppInput, berthOutput } from "berth";
 *     export = async () => {
 *         const app = await App.create("shop", { spec });
 *         return { url: app.urls.apply((u) => u.web), berth: berthOutput(app) };
 *     };
 *
 * The components, the spec's types and its zod schemas (to validate a
 * description before deploying it), the stack config's schema, each target's
 * settings schema, and berth's error types. Everything else under components/ is berth's own.
 */
export { App, AppArgs, Network, Service, ServiceArgs, Volume, berthOutput } from "./app";
export { DRIVERS, TargetKind, TargetSettings } from "./drivers";
export { DockerSettings, dockerSettings } from "./docker";
export { KubernetesSettings, kubernetesSettings } from "./kubernetes";
export {
    AppInput,
    AppSpec,
    Check,
    NetworkSpec,
    ServiceSpec,
    VolumeSpec,
    appSchema,
    checkSchema,
    mountSchema,
    networkSchema,
    portSchema,
    secretSchema,
    serviceSchema,
    volumeSchema,
} from "./spec";
export { StackConfig, StackConfigInput, stackConfigSchema } from "./stack";
export { Manifest, ServiceManifest } from "./manifest";
export { BerthError, BerthInputError } from "./validate";
export { BerthDataLossError } from "./datasafety";
