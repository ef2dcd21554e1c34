// Benchmark runner (filled in with the sanitizer core).
print("logwarden-bench")
