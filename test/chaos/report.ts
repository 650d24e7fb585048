/**
 * The end of `npm run chaos`: combines the suites' parts of one run
 * (test/chaos/results/.part-<run>-*.json) into test/chaos/results/<date>-<run>-chaos.json
 * and prints the table of figures. `report.ts RUN`.
 */
import * as fs from "fs";
import * as path from "path";

const DIR = path.resolve(__dirname, "results");
const runId = process.argv[2];
if (!runId) throw new Error("usage: report.ts CHAOS_RUN");

const parts: Record<string, any> = {};
for (const f of fs.existsSync(DIR) ? fs.readdirSync(DIR) : []) {
    if (f.startsWith(`.part-${runId}-`)) {
        const p = JSON.parse(fs.readFileSync(path.join(DIR, f), "utf8"));
        parts[p.part] = p.figures;
    }
}
const rows: string[][] = [["item", "target / point", "figures", "goal met"]];
const pct = (a: number, b: number) => (b ? `${((100 * a) / b).toFixed(1)}%` : "n/a");
for (const [target, d] of Object.entries<any>(parts.data ?? {})) {
    const cycles = d.cycles as any[];
    const last = cycles[cycles.length - 1];
    const matches = cycles.filter((c) => c.checksumMatch).length;
    const ok = cycles.filter((c) => c.checksumMatch && c.rowsRead === c.rowsWritten && c.dbReplacedByImage && c.dbReplacedByEnv && c.adoptedVolume).length;
    rows.push([
        "1 data across cycles",
        target,
        `${cycles.length} cycles; rows written ${last?.rowsWritten ?? 0}, read back ${last?.rowsRead ?? 0} (${pct(last?.rowsRead ?? 0, last?.rowsWritten ?? 0)}); checksum matches ${matches}/${cycles.length}; db replaced (image, env) and volume adopted in ${ok}/${cycles.length}; orphans ${d.orphansAfter?.length ?? "n/a"}`,
        cycles.length > 0 && ok === cycles.length && (d.orphansAfter ?? []).length === 0 ? "yes" : "NO",
    ]);
}
for (const c of (parts.crash ?? []) as any[]) {
    rows.push([
        "2 crash mid-deploy",
        `${c.target} / ${c.point}`,
        `killed after ${c.killedAfterSeconds}s with ${c.inStateAtKill} resources in state, ${c.pendingAtKill} pending, lock left: ${c.lockLeft}; recovery: ${c.recovery.length} action(s); converged: ${c.converged}; answered: ${c.answered}; orphans: ${c.orphans.length}`,
        c.recovered && c.converged && c.answered && c.orphans.length === 0 ? "yes" : "NO",
    ]);
}
if (parts.restart && parts.restart.stack) {
    const r = parts.restart;
    rows.push([
        "4 Docker engine restart",
        "docker (dev-like)",
        `${r.runningAfter ?? "?"}/${r.containers} containers running again (${r.restartedByEngine ?? "?"} restarted in place); answered after: ${r.answeredAfter}; refresh: ${JSON.stringify(r.refreshChanges ?? {})}, state records rewritten ${r.inputsChanged?.length ?? "?"}, outputs changed ${r.outputsChanged?.length ?? "?"}; preview no changes: ${r.previewNoChanges ?? false}; registry: ${r.registryAnswers}; cluster: ${r.clusterRunning}`,
        r.runningAfter === r.containers && r.answeredAfter && Object.keys(r.refreshChanges ?? {}).every((k) => k === "same") && r.previewNoChanges ? "yes" : "NO",
    ]);
}
const width = rows[0].map((_, i) => Math.min(90, Math.max(...rows.map((r) => r[i].length))));
for (const [n, r] of rows.entries()) {
    console.log(`| ${r.map((c, i) => c.padEnd(width[i])).join(" | ")} |`);
    if (n === 0) console.log(`|${width.map((w) => "-".repeat(w + 2)).join("|")}|`);
}
const date = new Date().toISOString().slice(0, 10);
const out = path.join(DIR, `${date}-${runId}-chaos.json`);
fs.mkdirSync(DIR, { recursive: true });
fs.writeFileSync(out, JSON.stringify({ run: runId, date, cycles: Number(process.env.CHAOS_CYCLES ?? 10), rowsPerCycle: Number(process.env.CHAOS_ROWS ?? 200), ...parts }, null, 2) + "\n");
for (const f of fs.readdirSync(DIR)) if (f.startsWith(`.part-${runId}-`)) fs.rmSync(path.join(DIR, f));
console.log(`written: ${path.relative(path.resolve(__dirname, "../.."), out)}`);
