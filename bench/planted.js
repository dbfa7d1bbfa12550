// `npm run bench -- planted`: the planted-bug table (bench/planted/): does the fuzz budget catch
// a bug of each kind the fuzzer used to miss? Options go to the harness: `node bench/planted.js --ci`.
await import("./planted/harness.js");
