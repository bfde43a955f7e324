// Preloaded into the process the memory scenario measures (`node --require` this `bin/llmbatch.js …`):
// at exit, writes the process's own getrusage figures (peak RSS over all its threads, CPU time) to
// the file named by LLMBATCH_BENCH_RUSAGE. Node cannot read a child's rusage, so the child reports.
const { writeFileSync } = require("node:fs");
process.on("exit", () => {
  const u = process.resourceUsage();
  writeFileSync(process.env.LLMBATCH_BENCH_RUSAGE, JSON.stringify({ maxRssBytes: u.maxRSS * 1024, cpuSeconds: (u.userCPUTime + u.systemCPUTime) / 1e6 }));
});
