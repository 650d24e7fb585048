/**
 * Preview summaries a reviewer can read: what happens to the app, in plain
 * words, from the real engine's preview events and the app's manifest (the
 * last deployed one against the one the preview would deploy). Secret values
 * never appear: the manifest holds only secret names, and the engine's diffs
 * are reduced to which properties change.
 */
import type { EngineEvent } from "@pulumi/pulumi/automation";
import type { Manifest, ServiceManifest } from "../components/manifest";

export interface StackPreview {
    readonly stack: string;
    /** The engine's events for the preview (Automation API onEvent). */
    readonly events: EngineEvent[];
    /** The last deployed manifest (stack output `berth`), if any. */
    readonly previous?: Manifest;
    /** The manifest the preview would deploy, if the program ran. */
    readonly next?: Manifest;
    /** The preview's error, if it failed (e.g. berth refusing to lose data). */
    readonly error?: string;
    /** The policy pack config the preview used (path), if any. */
    readonly policyConfig?: string;
}

export interface Summary {
    readonly markdown: string;
    /** Findings that must stop a merge: data loss without allowDataLoss, a mandatory policy, a failed preview. */
    readonly blocking: string[];
    readonly danger: string[];
    /** The policy pack's findings, one line each. */
    readonly policies: string[];
}

/** The policy pack's violations in a preview, in words, mandatory first. */
export function policyFindings(events: EngineEvent[]): { level: "mandatory" | "advisory"; text: string }[] {
    const seen = new Set<string>();
    const out: { level: "mandatory" | "advisory"; text: string }[] = [];
    for (const e of events) {
        const v = e.policyEvent;
        if (!v) continue;
        const level = v.enforcementLevel === "mandatory" ? "mandatory" : "advisory";
        // The message repeats the policy's description on its first line; the finding is the rest.
        const finding = v.message.split("\n").slice(1).join(" ").trim() || v.message.trim();
        const text = `[${level}] ${v.policyName}: ${finding}`;
        if (!seen.has(text)) out.push({ level, text }), seen.add(text);
    }
    return out.sort((a, b) => (a.level === b.level ? 0 : a.level === "mandatory" ? -1 : 1));
}

const CHANGING = new Set(["create", "update", "replace", "delete", "create-replacement", "delete-replaced"]);
const VOLUME_TYPES = new Set(["docker:index/volume:Volume", "kubernetes:core/v1:PersistentVolumeClaim"]);

interface Change {
    op: string;
    type: string;
    name: string;
    urn: string;
    keys: string[];
}

function changes(events: EngineEvent[]): Change[] {
    const out = new Map<string, Change>();
    for (const e of events) {
        const m = e.resourcePreEvent?.metadata;
        if (!m || !CHANGING.has(m.op)) continue;
        const op = m.op === "create-replacement" || m.op === "delete-replaced" ? "replace" : m.op;
        // A replacement is several events (create-replacement, replace, delete-replaced), and
        // only some carry the diff: keep the keys of all of them.
        const keys = [...new Set([...(out.get(m.urn)?.keys ?? []), ...(m.diffs ?? []), ...Object.keys(m.detailedDiff ?? {})])].sort();
        out.set(m.urn, { op, type: m.type, name: m.urn.split("::").pop()!, urn: m.urn, keys });
    }
    return [...out.values()];
}

function list<T>(a: T[] | undefined): T[] {
    return a ?? [];
}

/** "new <what> k", "<what> k changed", "<what> k removed" between two maps, keys sorted. */
function keyedChanges(what: string, before: Record<string, string>, after: Record<string, string>): string[] {
    return [
        ...Object.keys(after)
            .sort()
            .flatMap((k) => (!(k in before) ? [`new ${what} ${k}`] : before[k] !== after[k] ? [`${what} ${k} changed`] : [])),
        ...Object.keys(before)
            .sort()
            .flatMap((k) => (k in after ? [] : [`${what} ${k} removed`])),
    ];
}

/** "new <what> x", "<what> x removed" between two lists, in their order. */
function listChanges(what: string, before: string[] | undefined, after: string[] | undefined): string[] {
    return [...list(after).flatMap((x) => (list(before).includes(x) ? [] : [`new ${what} ${x}`])), ...list(before).flatMap((x) => (list(after).includes(x) ? [] : [`${what} ${x} removed`]))];
}

/** What changed in one service, in words. */
export function describeService(name: string, before: ServiceManifest | undefined, after: ServiceManifest | undefined): string[] {
    if (!before && after) return [`new service (${after.image}, ${after.scaling ? `${after.scaling.min}..${after.scaling.max} replicas` : `${after.replicas} replicas`})`];
    if (before && !after) return ["**service deleted**"];
    if (!before || !after) return [];
    const words: string[] = [];
    if (before.image !== after.image) words.push(`image ${before.image} -> ${after.image}`);
    // With a scaling rule on both sides, replicas follow it (the rule's line says what changes).
    if (before.replicas !== after.replicas && !(before.scaling && after.scaling)) words.push(`replicas ${before.replicas} -> ${after.replicas}`);
    const sc = (s?: ServiceManifest["scaling"]) => (s ? `${s.min}..${s.max}${s.cpuPercent ? ` at ${s.cpuPercent}% cpu` : ""}${s.memoryPercent ? ` at ${s.memoryPercent}% memory` : ""}` : "none");
    if (sc(before.scaling) !== sc(after.scaling)) words.push(`scaling rule ${sc(before.scaling)} -> ${sc(after.scaling)}`);
    words.push(...keyedChanges("env var", before.env, after.env), ...listChanges("secret", before.secrets, after.secrets));
    const pub = (s: ServiceManifest) => s.ports.filter((p) => p.publish !== undefined).map((p) => `${p.publish}->${p.port}`).sort().join(",");
    if (pub(before) !== pub(after)) words.push(`published ports ${pub(before) || "none"} -> ${pub(after) || "none"}`);
    words.push(...keyedChanges("file", before.files ?? {}, after.files ?? {}), ...listChanges("bind mount", before.bindMounts, after.bindMounts));
    for (const k of new Set([...Object.keys(before.probes), ...Object.keys(after.probes)])) {
        if (before.probes[k] !== after.probes[k]) words.push(`${k} check ${before.probes[k] ?? "none"} -> ${after.probes[k] ?? "none"}`);
    }
    return words;
}

function serviceOf(c: Change, services: string[]): string | undefined {
    if (!c.urn.includes("berth:app:Service")) return undefined;
    return services.filter((s) => c.name.endsWith(`-${s}`) || c.name.includes(`-${s}-`)).sort((a, b) => b.length - a.length)[0];
}

function diagram(m: Manifest, changed: Set<string>): string {
    const id = (kind: string, n: string) => `${kind}_${n.replace(/[^a-zA-Z0-9]/g, "_")}`;
    const lines = ["```mermaid", "graph LR"];
    const nets = new Set(Object.values(m.services).flatMap((s) => s.networks));
    for (const n of nets) lines.push(`  subgraph ${id("net", n)}["network ${n}"]`, ...Object.entries(m.services).filter(([, s]) => s.networks[0] === n).map(([name]) => `    ${id("svc", name)}["${name}"]`), "  end");
    for (const [name, s] of Object.entries(m.services)) {
        for (const p of s.ports) if (p.publish !== undefined) lines.push(`  ${id("pub", `${name}${p.publish}`)}(("${m.exposure}:${p.publish}")) --> ${id("svc", name)}`);
        for (const v of s.volumes) lines.push(`  ${id("svc", name)} --- ${id("vol", v.split(":")[0])}[("volume ${v.split(":")[0]}")]`);
    }
    lines.push("  classDef changed fill:#ffe4a8,stroke:#c77700,stroke-width:2px");
    for (const c of changed) lines.push(`  class ${c} changed`);
    lines.push("```");
    return lines.join("\n");
}

export function summarize(p: StackPreview): Summary {
    const cs = changes(p.events);
    const count = (op: string) => cs.filter((c) => c.op === op).length;
    const danger: string[] = [];
    const blocking: string[] = [];
    const findings = policyFindings(p.events);
    for (const f of findings) if (f.level === "mandatory") blocking.push(`policy ${f.text}`);

    if (p.error) {
        // berth's refusal: "refuses to lose data:" followed by one "  - volume ..." line per volume.
        const at = p.error.indexOf("refuses to lose data:");
        if (at >= 0) {
            const following = p.error.slice(at).split("\n").slice(1);
            const end = following.findIndex((l) => !/^\s*- /.test(l));
            const items = following.slice(0, end < 0 ? following.length : end).map((l) => l.replace(/^\s*-\s*/, "").trim());
            for (const line of new Set(items)) {
                const m = /^volume (\S+): (.*)$/.exec(line);
                const text = m ? `**volume ${m[1]} would be REPLACED (its data lost)**: ${m[2].split(" would replace")[0]}. **Blocked**: the volume does not allow data loss` : line;
                danger.push(text);
                blocking.push(text);
            }
        } else if (!findings.some((f) => f.level === "mandatory")) {
            // A mandatory policy fails the preview too; its finding already says why.
            const first = p.error.split("\n").find((l) => /error:|Error/.test(l)) ?? p.error.split("\n")[0];
            blocking.push(`the preview failed: ${first.trim()}`);
        }
    }

    const before = p.previous;
    const after = p.next;
    for (const c of cs) {
        if (VOLUME_TYPES.has(c.type) && (c.op === "replace" || c.op === "delete")) {
            const vol = Object.keys(after?.volumes ?? before?.volumes ?? {}).find((v) => c.name.includes(`-${v}-`)) ?? c.name;
            const allowed = after?.volumes[vol]?.allowDataLoss ?? false;
            const text = `**volume ${vol} would be ${c.op === "replace" ? "REPLACED" : "DELETED"}** (${c.type.split(":").pop()} ${c.name})${allowed ? " (allowDataLoss is set)" : ""}`;
            danger.push(text);
            if (!allowed && c.op === "replace") blocking.push(text);
        }
    }
    const names = [...new Set([...Object.keys(before?.services ?? {}), ...Object.keys(after?.services ?? {})])].sort();
    for (const n of names) {
        const b = before?.services[n];
        const a = after?.services[n];
        if (b && !a && after) danger.push(`**service ${n} would be deleted**${b.volumes.length ? ` (it holds volume ${b.volumes.join(", ")})` : ""}`);
        if (a && b && a.replicas === 0 && b.replicas > 0) danger.push(`**service ${n} drops to zero replicas**`);
        if (a && a.ports.some((x) => x.publish !== undefined) && after && /^(0\.0\.0\.0|LoadBalancer)$/.test(after.exposure) && (!b || before?.exposure !== after.exposure || !b.ports.some((x) => x.publish !== undefined))) {
            danger.push(`**service ${n} is published beyond this host** (${after.exposure})`);
        }
    }

    const md: string[] = [`## berth preview: \`${p.stack}\``, ""];
    if (danger.length || blocking.length) {
        md.push("### ⚠️ Danger", "");
        for (const d of new Set([...danger, ...blocking])) md.push(`- ${d}`);
        md.push("");
    }
    md.push("### Policies", "");
    // The pack judges resources as the program registers them: none, when it stopped
    // first (the stack itself and the provider of berth's own invoke do not count).
    const judged = p.events.some((e) => {
        const type = e.resourcePreEvent?.metadata.type;
        return type !== undefined && type !== "pulumi:pulumi:Stack" && !type.startsWith("pulumi:providers:");
    });
    if (findings.length) md.push(...findings.map((f) => `- ${f.level === "mandatory" ? "❌" : "⚠️"} ${f.text}`));
    else if (!judged) md.push("- not checked: the program stopped before it registered any resource");
    else md.push("- ✅ no findings");
    md.push(`- enforcement: ${p.policyConfig ?? "the pack's defaults (advisory)"}`, "");
    md.push("| create | update | replace | delete |", "|---:|---:|---:|---:|", `| ${count("create")} | ${count("update")} | ${count("replace")} | ${count("delete")} |`, "");
    const changedIds = new Set<string>();
    const perService: string[] = [];
    for (const n of names) {
        // Without the next manifest (the program stopped early) nothing can be said of the services.
        const words = after ? describeService(n, before?.services[n], after.services[n]) : [];
        const res = cs.filter((c) => serviceOf(c, names) === n);
        if (words.length === 0 && res.length === 0) continue;
        changedIds.add(`svc_${n.replace(/[^a-zA-Z0-9]/g, "_")}`);
        // The engine shows which keys of a Secret change, never their values.
        for (const c of res.filter((x) => x.type.endsWith(":Secret"))) {
            for (const k of new Set(c.keys.map((key) => /^(?:string)?[dD]ata\.(.+)$/.exec(key)?.[1]).filter((x): x is string => !!x))) {
                words.push(`secret ${k} value changed (not shown)`);
            }
        }
        const how = [...new Set(res.map((c) => `${c.op} ${c.type.split(":").pop()}`))];
        perService.push(`- **${n}**: ${[...words, ...(words.length ? [] : how)].join("; ")}${words.length && how.length ? ` (${how.join(", ")})` : ""}`);
    }
    for (const c of cs.filter((x) => VOLUME_TYPES.has(x.type))) {
        const vol = Object.keys(after?.volumes ?? {}).find((v) => c.name.includes(`-${v}-`));
        if (vol) changedIds.add(`vol_${vol}`);
    }
    if (p.error && blocking.length) for (const v of Object.keys(before?.volumes ?? {})) if (p.error.includes(`volume ${v}:`)) changedIds.add(`vol_${v}`);
    if (!after) for (const id of [...changedIds]) if (id.startsWith("svc_")) changedIds.delete(id);
    md.push("### What changes", "");
    if (!after && p.error) md.push("- the program stopped before it described the app: what else would change shows once the blocking findings above are resolved");
    else md.push(...(perService.length ? perService : ["- nothing in the app changes"]));
    md.push("");
    const other = cs.filter((c) => !serviceOf(c, names));
    if (other.length) {
        md.push("<details><summary>Other resources</summary>", "");
        for (const c of other) md.push(`- ${c.op} ${c.type} \`${c.name}\`${c.keys.length ? ` (${c.keys.slice(0, 6).join(", ")})` : ""}`);
        md.push("", "</details>", "");
    }
    const shape = after ?? before;
    if (shape) md.push("### The app", "", diagram(shape, changedIds), "");
    return { markdown: md.join("\n"), blocking, danger, policies: findings.map((f) => f.text) };
}
