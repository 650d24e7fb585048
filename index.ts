// The demo app, described once in services/demo.ts; each stack deploys it to
// its own target (stacks/Pulumi.<stack>.yaml: dev -> Docker, staging and prod
// -> Kubernetes).
import { App, berthOutput } from "./components";
import { demo } from "./services/demo";

export = async () => {
    const app = await App.create("demo", { spec: demo });
    return {
        target: app.target,
        url: app.urls.apply((u) => u.web),
        // berth reads this back on the next run: a change that would replace a volume fails before anything changes.
        berth: berthOutput(app),
    };
};
