// Starts dynalite (DynamoDB, in memory) on 127.0.0.1 only, with tables ACTIVE at once instead
// of after the default 500 ms in CREATING.
// Usage: node dynalite-loopback.cjs   (env DYNALITE_PORT, default 0 = any free port)
// Prints one line {"port":N} on stdout once listening. Exits when stdin closes, so an
// emulator never outlives the test process that started it.
"use strict";
const dynalite = require("dynalite");

const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
server.listen(Number(process.env.DYNALITE_PORT ?? "0"), "127.0.0.1", () => {
  process.stdout.write(JSON.stringify({ port: server.address().port }) + "\n");
});

process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
