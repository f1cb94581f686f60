// Preloaded (`node --import`) into the worker that `condense serve` starts. Its stdin is a pipe from serve: when
// that closes, serve is gone (even after SIGKILL), and the worker must not run on as an orphan. SIGTERM makes it
// stop the way it always does (hand running jobs back to the queue).
process.stdin.on("end", () => process.kill(process.pid, "SIGTERM"));
process.stdin.on("error", () => undefined);
process.stdin.resume();
