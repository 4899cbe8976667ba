// A seeded plan of faults for a randomised run (`tandem chaos`): the same seed gives the
// same plan, so a run that broke an invariant can be run again as it was. Pure: the lab
// carries the plan out.

export type ChaosFault = 'kill' | 'cut' | 'etcd' | 'daemon';

export interface FaultStep {
  fault: ChaosFault;
  node: string;
  /** A second fault at once on another node (a majority gone: etcd loses its quorum). */
  also?: { fault: ChaosFault; node: string };
  /** How long the fault lasts before it is healed. */
  holdMs: number;
  /** Quiet time after healing, before the next step. */
  restMs: number;
}

export interface PlanOptions {
  seed: number;
  steps: number;
  nodes: string[];
  /** Faults to draw from (killing only the daemon leaves its resources running: only with fencing). */
  faults: ChaosFault[];
  /** Chance that a step strikes two nodes at once. */
  doubleChance: number;
}

/** mulberry32: small, fast, and the same on every machine. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const shortestHoldMs = 500;
const longestHoldMs = 5_000;
const longestRestMs = 3_000;

export function planFaults(options: PlanOptions): FaultStep[] {
  if (options.nodes.length < 2 || options.faults.length === 0) throw new Error('a fault plan needs two nodes and a fault to draw');
  const next = random(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const between = (low: number, high: number) => Math.round(low + next() * (high - low));
  return Array.from({ length: options.steps }, () => {
    const node = pick(options.nodes);
    const step: FaultStep = { fault: pick(options.faults), node, holdMs: between(shortestHoldMs, longestHoldMs), restMs: between(0, longestRestMs) };
    if (next() < options.doubleChance) step.also = { fault: pick(options.faults), node: pick(options.nodes.filter((other) => other !== node)) };
    return step;
  });
}

export function describeStep(step: FaultStep): string {
  const one = (fault: ChaosFault, node: string) => `${fault} ${node}`;
  return `${one(step.fault, step.node)}${step.also ? ` + ${one(step.also.fault, step.also.node)}` : ''} for ${step.holdMs} ms, then ${step.restMs} ms at rest`;
}
