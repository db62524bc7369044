// Package bench holds Firebreak's load benchmark of the webhook receiver, BenchmarkReceiverLoad. It runs the real
// receiver binary against a real ClickHouse and compares it with a bare net/http server (./baseline). The normal
// test run does not execute it; see BENCHMARKS.md at the repository root for how to run it and the results.
package bench
