// Placeholder for root scripts whose issue has not landed yet; says so plainly instead of failing obscurely.
const what = process.argv[2] ?? 'this command';
process.stderr.write(`nodemesh: "pnpm ${what}" is not built yet; see the open issues.\n`);
process.exitCode = 1;
