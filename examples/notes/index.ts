// berth used as a library, as any Pulumi program would: two Apps in one stack,
// berth's own demo and the notes app, each with its own names on the target.
//
//   npm install            (links berth: "file:../..")
//   pulumi stack init dev && pulumi config set berth:target docker
//   pulumi config set --secret berth:dbPassword <a password>
//   pulumi up
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { App, AppInput, berthOutput } from "berth";
import { demo } from "../../services/demo";
import { notes } from "./notes";

const config = new pulumi.Config("notes");
/** Host ports: the demo's web (its spec says 8080) and the notes API. */
const demoPort = config.getNumber("demoPort") ?? 8080;
const notesPort = config.getNumber("notesPort") ?? 8090;

/** The demo's spec as this program deploys it: build contexts from the repo, web on demoPort. */
function demoHere(): AppInput {
    const repo = path.resolve(__dirname, "..", "..");
    const services = Object.fromEntries(
        Object.entries(demo.services).map(([name, svc]) => [
            name,
            {
                ...svc,
                build: { context: path.join(repo, svc.build.context) },
                ports: "ports" in svc ? svc.ports.map((p) => ("publish" in p ? { ...p, publish: demoPort } : p)) : undefined,
            },
        ]),
    );
    return { ...demo, services };
}

export = async () => {
    const shop = await App.create("demo", { spec: demoHere() });
    // On Kubernetes each App has its own namespace: the stack's, with "-notes" after it.
    const namespace = new pulumi.Config("berth").getObject<{ namespace?: string }>("kubernetes")?.namespace;
    const board = await App.create("notes", { spec: notes(notesPort), settings: namespace ? { kubernetes: { namespace: `${namespace}-notes` } } : undefined });
    return {
        demoUrl: shop.urls.apply((u) => u.web),
        notesUrl: board.urls.apply((u) => u.api),
        berth: berthOutput(shop, board),
    };
};
