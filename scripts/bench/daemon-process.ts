import { spawn, type ChildProcess } from "node:child_process";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "..", "..");

/** A real `evolvd start` process over the workspace `dir` (its configs/ and data/), on a free port; resolves once it listens. */
export async function startDaemonProcess(dir: string): Promise<{ daemon: ChildProcess; url: string }> {
  const daemon = spawn("node", [join(ROOT, "bin", "evolvd.js"), "start", "--port", "0", "--data-dir", "data", "--drop-dir", "configs", "--log-level", "info"], { cwd: dir, stdio: ["ignore", "pipe", "inherit"] });
  const url = await new Promise<string>((done, fail) => {
    let out = "";
    daemon.stdout?.on("data", (chunk) => {
      out += chunk;
      const m = /"url":"([^"]+)".*"msg":"evolvd started"/.exec(out);
      if (m) done(m[1] as string);
    });
    daemon.on("exit", () => fail(new Error(`daemon exited: ${out}`)));
  });
  return { daemon, url };
}
