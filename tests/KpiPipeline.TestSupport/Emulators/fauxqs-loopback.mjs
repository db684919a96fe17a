// Starts fauxqs (S3 + SNS + SQS) on 127.0.0.1 only. The package's own CLI binds 0.0.0.0 and a
// fixed port; tests need loopback and an OS-chosen port, so this builds the same app and
// listens itself.
// Usage: node fauxqs-loopback.mjs   (env FAUXQS_PORT, default 0 = any free port)
// Prints one line {"port":N} on stdout once listening. Exits when stdin closes, so an
// emulator never outlives the test process that started it.
import { buildApp } from "fauxqs";

const app = buildApp({ logger: false });
const address = await app.listen({ host: "127.0.0.1", port: Number(process.env.FAUXQS_PORT ?? "0") });
process.stdout.write(JSON.stringify({ port: Number(new URL(address).port) }) + "\n");

process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
