#!/usr/bin/env node
// The evolvd command. The TypeScript sources are compiled to dist/ by `npm install` (prepare).
import { main } from "../dist/cli/main.js";

// A reader that stops reading (`evolvd history --json | head`) closes the pipe: that ends the
// output, it is not an error to report.
for (const stream of [process.stdout, process.stderr])
  stream.on("error", (error) => {
    if (error.code === "EPIPE") process.exit(0);
    throw error;
  });

const code = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  cwd: process.cwd(),
});
// Exit once the output is written: a library that still holds a timer or a socket (bull's
// queues while Redis is unreachable) must not keep a stopped daemon alive.
process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
