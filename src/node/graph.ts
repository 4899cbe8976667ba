// Executing a transition's actions in an order that respects its orderings: each action
// starts once every action it waits for has succeeded, independent ones run at once.

import type { PlannedAction, Transition } from '../scheduler/index.js';

/** The actions in one order that respects the orderings (Kahn's algorithm). */
export function executionSequence(transition: Transition): PlannedAction[] {
  const { waiting, after } = dependencies(transition);
  const ready = transition.actions.map((_, index) => index).filter((index) => waiting[index] === 0);
  const sequence: PlannedAction[] = [];
  while (ready.length > 0) {
    const index = ready.shift()!;
    sequence.push(transition.actions[index]!);
    for (const next of after[index]!) {
      waiting[next]! -= 1;
      if (waiting[next] === 0) ready.push(next);
    }
  }
  if (sequence.length !== transition.actions.length) throw new Error('the transition has an ordering loop');
  return sequence;
}

function dependencies(transition: Transition): { waiting: number[]; after: number[][] } {
  const waiting = transition.actions.map(() => 0);
  const after = transition.actions.map((): number[] => []);
  for (const [first, then] of transition.order) {
    waiting[then]! += 1;
    after[first]!.push(then);
  }
  return { waiting, after };
}

/**
 * Runs the transition: every action whose predecessors all succeeded, concurrently. After
 * a failure, or once `keepGoing` says no, nothing new starts; the actions in progress are
 * awaited. Resolves true when every action ran and succeeded.
 */
export async function runTransition(transition: Transition, run: (action: PlannedAction) => Promise<boolean>, keepGoing: () => boolean): Promise<boolean> {
  const { waiting, after } = dependencies(transition);
  let finished = 0;
  let failed = false;
  const inFlight = new Set<Promise<void>>();
  const start = (index: number) => {
    const work = run(transition.actions[index]!).then(
      (succeeded) => {
        finished += 1;
        if (!succeeded) failed = true;
        else for (const next of after[index]!) if (--waiting[next]! === 0) ready.push(next);
      },
      () => {
        failed = true;
      },
    );
    const tracked = work.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
  };
  const ready = transition.actions.map((_, index) => index).filter((index) => waiting[index] === 0);
  for (;;) {
    while (ready.length > 0 && !failed && keepGoing()) start(ready.shift()!);
    if (inFlight.size === 0) break;
    await Promise.race(inFlight);
  }
  return !failed && finished === transition.actions.length;
}
