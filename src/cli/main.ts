import { Command, CommanderError, Option } from "commander";
import { analyzeCommand } from "./commands/analyze.js";
import { proposeCommand } from "./commands/propose.js";
import { reportCommand } from "./commands/report.js";
import { killCommand, pauseCommand, statusCommand } from "./commands/remote.js";
import { diffCommand, historyCommand, rollbackCommand } from "./commands/versions.js";
import { mutateCommand } from "./commands/mutate.js";
import { simulateCommand } from "./commands/simulate.js";
import { startCommand } from "./commands/start.js";
import { CliError, type CliIo } from "./io.js";
import { systemClock } from "../system-clock.js";

/**
 * The `evolvd` command. Returns the exit code instead of exiting, so tests run it in-process:
 * 0 ok, 1 a failure the message explains, 2 a usage error.
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const program = new Command("evolvd")
    .description("A self-driving configuration optimizer: mutate, screen in simulation, experiment, commit or roll back.")
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .showHelpAfterError();
  const dataDir = () => new Option("--data-dir <dir>", "data folder of the embedded store (default: $EVOLVD_DATA_DIR or ./.evolvd)");
  const url = () => new Option("--url <url>", "ask a running daemon instead of the data folder (default: $EVOLVD_URL)");
  const token = () => new Option("--token <token>", "admin bearer token (default: $EVOLVD_ADMIN_TOKEN)");

  program
    .command("start")
    .description("run the daemon: drop folder, OFREP and events APIs, admin API, /metrics (settings: docs/daemon.md)")
    .option("--config <file>", "settings file (JSON)")
    .option("--host <address>", "listen address (default 127.0.0.1; another needs --admin-token)")
    .option("--port <port>", "listen port (default 8787)")
    .option("--data-dir <dir>", "data folder (default .evolvd)")
    .option("--drop-dir <dir>", "drop folder of target files and kill files (default configs)")
    .option("--admin-token <token>", "bearer token of the admin API")
    .option("--ofrep-token <token>", "bearer token OFREP and event requests must carry")
    .option("--viewer-token <token>", "bearer token that only reads the admin API and the console (needs --admin-token)")
    .option("--log-level <level>", "trace, debug, info, warn, error, fatal or silent")
    .option("--redis <url>", "scale-out: share state through this Redis (default $EVOLVD_REDIS_URL; none: embedded)")
    .option("--redis-prefix <name>", "scale-out: key namespace of this deployment (default evolvd)")
    .option("--demo", "run on a fresh demo workspace and feed it the shipped scenario's simulated users over HTTP, in real time")
    .option("--demo-rate <visits>", "demo: visits per second (default 400)")
    .action((options) => startCommand(options, io));

  program
    .command("simulate")
    .description("run the optimizer on a scenario in virtual time and print what it decided")
    .argument("<scenario>", "scenario file (see simulations/)")
    .option("--seed <n>", "seed of the run (default: the scenario's)")
    .option("--json", "print a machine-readable report on stdout")
    .option("--data-dir <dir>", "keep the history in this data folder (default: in memory)")
    .option("--record <file>", "also write every event line the simulated applications send (NDJSON)")
    .option("--log", "structured JSON logs of transitions and decisions on stderr")
    .option("--report <file>", "also write the run as one HTML file (the console's plots and tables, offline)")
    .action((scenario: string, options) => simulateCommand(scenario, options, io));

  program
    .command("report")
    .description("write one self-contained HTML file of a target: its experiments, plots, lineage and history (opens offline)")
    .argument("<target>", "target name")
    .requiredOption("--out <file>", "the HTML file to write")
    .addOption(dataDir())
    .addOption(url())
    .addOption(token())
    .action((target: string, options) => reportCommand(target, options, io, systemClock));

  program
    .command("history")
    .description("every version, experiment transition and baseline move of a target")
    .argument("<target>", "target name")
    .addOption(dataDir())
    .addOption(url())
    .addOption(token())
    .option("--json", "print the raw history entries")
    .action((target: string, options) => historyCommand(target, options, io));

  program
    .command("diff")
    .description("changed paths between two versions, old → new")
    .argument("<versionA>", "version id or unique prefix (≥ 6 hex digits); baseline or baseline:<segment> with --target")
    .argument("<versionB>", "version id or unique prefix")
    .addOption(dataDir())
    .addOption(url())
    .addOption(token())
    .option("--target <name>", "look only in this target")
    .option("--json", "print JSON")
    .action((a: string, b: string, options) => diffCommand(a, b, options, io));

  program
    .command("rollback")
    .description("make any earlier version the baseline (recorded as its own history entry)")
    .argument("<target>", "target name")
    .argument("<version>", "version id or unique prefix (a full id with --url)")
    .addOption(dataDir())
    .addOption(url())
    .addOption(token())
    .option("--reason <text>", "why, for the history")
    .option("--segment <name>", "roll back this segment's own baseline only (policy.segmentBaselines)")
    .action((target: string, version: string, options) => rollbackCommand(target, version, options, io, systemClock));

  program
    .command("status")
    .description("what a running daemon is doing: targets, or one target's experiment and arms")
    .argument("[target]", "target name")
    .addOption(url())
    .addOption(token())
    .option("--json", "print JSON")
    .action((target: string | undefined, options) => statusCommand(target, options, io));

  program
    .command("kill")
    .description("kill switch: stop a target's live experiment at once on a running daemon")
    .argument("<target>", "target name")
    .addOption(url())
    .addOption(token())
    .option("--reason <text>", "why, for the history")
    .action((target: string, options) => killCommand(target, options, io));

  program
    .command("propose")
    .description("an operator's candidate for a running daemon: values (all, or those it changes) kept as a draft, screened and ramped by the next generation")
    .argument("<target>", "target name")
    .argument("<values-file>", "JSON object of settings")
    .addOption(url())
    .addOption(token())
    .option("--note <text>", "why, for the history")
    .option("--share <fraction>", "a fixed traffic share for this candidate instead of the bandit's (0 < share < 1)")
    .action((target: string, file: string, options) => proposeCommand(target, file, options, io));

  for (const [action, description] of [
    ["pause", "pause a target's live experiment on a running daemon: every unit gets the baseline, its arms, units and statistics are kept"],
    ["resume", "resume a paused experiment (the same one goes on), or turn a held target's kill switch off (a new generation starts)"],
  ] as const)
    program
      .command(action)
      .description(description)
      .argument("<target>", "target name")
      .addOption(url())
      .addOption(token())
      .option("--reason <text>", "why, for the history")
      .action((target: string, options) => pauseCommand(action, target, options, io));

  program
    .command("mutate")
    .description("print the candidates the mutation engine proposes from a target file's baseline")
    .argument("<target-file>", "target file (see configs/)")
    .requiredOption("--seed <n>", "seed")
    .option("--count <k>", "candidates to propose", "5")
    .option("--generation <g>", "generation whose random stream to use", "1")
    .option("--json", "print JSON")
    .action((file: string, options) => mutateCommand(file, options, io));

  program
    .command("analyze")
    .description("evolvd's statistics on your own numbers: JSON in (compare, srm, adjust, mannWhitney, bandit), JSON out")
    .argument("[file]", "request file, or - for stdin (the default)")
    .action((file: string | undefined) => analyzeCommand(file, io));

  try {
    await program.parseAsync([...argv], { from: "user" });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (error instanceof CliError) {
      io.stderr.write(`evolvd: ${error.message}\n`);
      return error.exitCode;
    }
    io.stderr.write(`evolvd: ${(error as Error).stack ?? String(error)}\n`);
    return 1;
  }
}
