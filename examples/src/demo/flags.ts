/** The demo's command line: every flag, its default, and a message that names a bad value. */

export type TraceTarget =
  | { readonly kind: 'console' }
  | { readonly kind: 'file'; readonly path: string };

export interface DemoOptions {
  /** Instances of `payments`; at least 3 (one turns slow, one dies, one stays healthy). */
  readonly instances: number;
  /** Calls started per second by each client, whatever came back (open loop). */
  readonly rate: number;
  readonly phaseSeconds: number;
  /** How long the slow instance takes to answer. */
  readonly slowMs: number;
  /** Share of the flaky instance's requests that fail (3 in 4 with 503, 1 in 4 with a reset). */
  readonly flakyPercent: number;
  /** Each client's deadline for a whole call, retries included. */
  readonly callTimeoutMs: number;
  /** Calls in flight per client at most; a call the cap turns away counts as a failure. */
  readonly maxInFlight: number;
  readonly json: boolean;
  readonly trace: TraceTarget | null;
  /** Directory for the chart (and the trace file, when relative). */
  readonly out: string;
  readonly quick: boolean;
}

export const DEFAULTS: DemoOptions = {
  instances: 4,
  rate: 300,
  phaseSeconds: 6,
  slowMs: 500,
  flakyPercent: 10,
  callTimeoutMs: 1_000,
  maxInFlight: 2_000,
  json: false,
  trace: null,
  out: '.',
  quick: false,
};

/** The short run the test uses: 5 phases of 2 s, about 12 s with start-up and drain. */
export const QUICK: Partial<DemoOptions> = { rate: 150, phaseSeconds: 2, quick: true };

export const HELP = `Usage: npm run demo -- [flags]   (or: node examples/dist/demo.js [flags])

A plain client and an Outrigger client call the same local instances of "payments" at the
same fixed rate through five phases: steady state, one instance slow, one instance dead,
total outage, recovery. Live view while it runs, then a summary per phase and an SVG chart.

  --rate <n>             calls per second, per client (default ${DEFAULTS.rate})
  --phase-seconds <s>    length of each of the 5 phases (default ${DEFAULTS.phaseSeconds})
  --instances <n>        instances of payments, 3 to 16 (default ${DEFAULTS.instances})
  --slow-ms <ms>         latency of the slow instance (default ${DEFAULTS.slowMs})
  --flaky-percent <p>    failures of the flaky instance, 0 to 100 (default ${DEFAULTS.flakyPercent})
  --timeout-ms <ms>      each client's deadline per call, retries included (default ${DEFAULTS.callTimeoutMs})
  --max-in-flight <n>    calls in flight per client at most (default ${DEFAULTS.maxInFlight})
  --quick                short run: ${QUICK.phaseSeconds} s phases at ${QUICK.rate} calls/s (the test's)
  --json                 print the figures as JSON on stdout (the live view goes to stderr)
  --trace[=<file>]       export Outrigger's spans: to the console (a 1% sample, after the
                         summary), or every span to <file> as JSON lines
  --out <dir>            where demo-report.svg is written (default: the current directory)
  --help                 this text
`;

export type ParsedFlags =
  | { readonly kind: 'run'; readonly options: DemoOptions }
  | { readonly kind: 'help' }
  | { readonly kind: 'error'; readonly message: string };

type NumberFlag = {
  readonly key:
    | 'instances'
    | 'rate'
    | 'phaseSeconds'
    | 'slowMs'
    | 'flakyPercent'
    | 'callTimeoutMs'
    | 'maxInFlight';
  readonly min: number;
  readonly max: number;
  readonly integer: boolean;
};

const NUMBER_FLAGS: Record<string, NumberFlag> = {
  '--instances': { key: 'instances', min: 3, max: 16, integer: true },
  '--rate': { key: 'rate', min: 1, max: 5_000, integer: false },
  '--phase-seconds': { key: 'phaseSeconds', min: 0.5, max: 600, integer: false },
  '--slow-ms': { key: 'slowMs', min: 1, max: 60_000, integer: true },
  '--flaky-percent': { key: 'flakyPercent', min: 0, max: 100, integer: false },
  '--timeout-ms': { key: 'callTimeoutMs', min: 10, max: 600_000, integer: true },
  '--max-in-flight': { key: 'maxInFlight', min: 1, max: 1_000_000, integer: true },
};

/** `--name value` and `--name=value` both; numbers checked against their range. */
export function parseFlags(argv: readonly string[]): ParsedFlags {
  const set: { -readonly [K in keyof DemoOptions]?: DemoOptions[K] } = {};
  let quick = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const inline = eq > 0 ? arg.slice(eq + 1) : undefined;
    if (name === '--help' || name === '-h') return { kind: 'help' };
    if (name === '--quick' || name === '--json') {
      if (inline !== undefined) return error(`${name} takes no value (got "${arg}")`);
      if (name === '--quick') quick = true;
      else set.json = true;
      continue;
    }
    if (name === '--trace') {
      set.trace =
        inline === undefined || inline === 'console'
          ? { kind: 'console' }
          : inline === ''
            ? null
            : { kind: 'file', path: inline };
      if (set.trace === null)
        return error('--trace= needs a file name, or nothing for the console');
      continue;
    }
    const takesValue = name === '--out' || name in NUMBER_FLAGS;
    if (!takesValue) return error(`unknown flag "${arg}"`);
    const value = inline ?? argv[++i];
    if (value === undefined || value === '') return error(`${name} needs a value`);
    if (name === '--out') {
      set.out = value;
      continue;
    }
    const flag = NUMBER_FLAGS[name]!;
    const n = Number(value);
    if (
      !Number.isFinite(n) ||
      n < flag.min ||
      n > flag.max ||
      (flag.integer && !Number.isInteger(n))
    ) {
      const what = flag.integer ? 'an integer' : 'a number';
      return error(`${name} must be ${what} from ${flag.min} to ${flag.max} (got "${value}")`);
    }
    set[flag.key] = n;
  }
  // Explicit flags win over --quick's choices, so `--quick --rate 50` means what it says.
  return { kind: 'run', options: { ...DEFAULTS, ...(quick ? QUICK : {}), ...set } };
}

function error(message: string): ParsedFlags {
  return { kind: 'error', message: `${message}\nRun with --help for the flags.` };
}
