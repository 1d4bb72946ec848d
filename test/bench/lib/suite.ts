/** A benchmark suite: runs, and returns its section of BENCHMARKS.md (Markdown, starting at `##`). */
export interface BenchSuite {
  readonly name: string;
  readonly title: string;
  run(): Promise<string>;
}
