import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { breaches, cleared, evaluateRule, OK, type EvaluatedRule, type RuleState, type Transition } from '../../server/alerts/evaluate.ts';
import { compareAlerts, type Alert } from '../../shared/alerts.ts';
import { ruleCreateSchema, rulePatchSchema, silenceCreateSchema } from '../../shared/alert-schemas.ts';

/** Feeds values one second apart and records every transition. */
function run(rule: EvaluatedRule, values: Array<number | null>, start: RuleState = OK) {
  let state = start;
  const transitions: Array<[number, Transition]> = [];
  values.forEach((v, i) => {
    const r = evaluateRule(state, v, rule, i * 1000);
    state = r.state;
    if (r.transition) transitions.push([i, r.transition]);
  });
  return { state, transitions };
}

const above = (threshold: number, forSeconds = 0, clearMargin = 0): EvaluatedRule => ({ operator: '>=', threshold, forSeconds, clearMargin });

describe('evaluateRule', () => {
  it('fires once while cpu stays above the threshold', () => {
    const { transitions, state } = run(above(85), [50, 90, 91, 95, 99, 90]);
    assert.deepEqual(transitions, [[1, 'fire']]);
    assert.equal(state.phase, 'firing');
  });

  it('waits forSeconds before firing, and forgets a breach that ends earlier', () => {
    const rule = above(85, 3);
    assert.deepEqual(run(rule, [90, 90, 90, 90, 90]).transitions, [[0, 'pending'], [3, 'fire']]);
    assert.deepEqual(run(rule, [90, 90, 50, 90, 90, 90]).transitions, [[0, 'pending'], [2, 'cancelled'], [3, 'pending']]);
  });

  it('resolves once the value clears the threshold', () => {
    assert.deepEqual(run(above(85), [90, 80]).transitions, [[0, 'fire'], [1, 'resolve']]);
  });

  it('does not flap on a value hovering at the threshold, thanks to the clear margin', () => {
    const hovering = [86, 84, 86, 84.5, 85.5, 83, 86];
    assert.equal(run(above(85, 0, 0), hovering).transitions.length, 7, 'without a margin every crossing flips');
    assert.deepEqual(run(above(85, 0, 5), hovering).transitions, [[0, 'fire']]);
    assert.deepEqual(run(above(85, 0, 5), [...hovering, 79]).transitions, [[0, 'fire'], [7, 'resolve']]);
  });

  it('ignores missing values: no firing, no resolution', () => {
    assert.deepEqual(run(above(85), [null, null]).transitions, []);
    assert.deepEqual(run(above(85), [90, null, null, Number.NaN]).transitions, [[0, 'fire']]);
    const pending = run(above(85, 2), [90, null, 90]);
    assert.deepEqual(pending.transitions, [[0, 'pending'], [2, 'fire']], 'a gap does not restart the for-duration');
  });

  it('continues from a restored state after a restart: an open alert does not fire again', () => {
    const restored: RuleState = { phase: 'firing', since: 0 };
    assert.deepEqual(run(above(85), [90, 95], restored).transitions, []);
    const pendingSince: RuleState = { phase: 'pending', since: 0 };
    assert.deepEqual(run(above(85, 2), [90, 90, 90], pendingSince).transitions, [[2, 'fire']]);
  });

  it('stays quiet after a manual resolution until the condition clears, then can fire again', () => {
    const latched: RuleState = { phase: 'latched', since: 0 };
    assert.deepEqual(run(above(85, 0, 5), [90, 90, 82, 79, 90], latched).transitions, [[3, 'unlatch'], [4, 'fire']]);
  });

  it('supports every operator, with the margin on the good side', () => {
    assert.ok(breaches('>', 2, 1) && !breaches('>', 1, 1));
    assert.ok(breaches('<', 0, 1) && !breaches('<', 1, 1));
    assert.ok(breaches('<=', 1, 1) && breaches('>=', 1, 1));
    assert.ok(breaches('==', 3, 3) && !breaches('==', 3.1, 3));
    assert.ok(!cleared('>', 95, 100, 10) && cleared('>', 90, 100, 10));
    assert.ok(!cleared('<', 15, 10, 10) && cleared('<', 20, 10, 10));
    assert.ok(!cleared('==', 3.5, 3, 1) && cleared('==', 4.5, 3, 1));
    assert.deepEqual(run({ operator: '<', threshold: 10, forSeconds: 0, clearMargin: 2 }, [50, 5, 11, 13]).transitions, [[1, 'fire'], [3, 'resolve']]);
  });

  it('evaluates 100 rules tick after tick as a pure function: the 51 breached fire once, at the first tick, and no state is changed in place', () => {
    // No timing claim: what is checked is that evaluation keeps nothing between calls but the state it returns.
    const rules = Array.from({ length: 100 }, (_, i) => above(i));
    let states: readonly RuleState[] = rules.map(() => Object.freeze({ ...OK }));
    const fired: Array<[rule: number, tick: number]> = [];
    for (let t = 0; t < 10; t++) {
      states = rules.map((r, i) => {
        const before = states[i]!;
        const result = evaluateRule(before, 50, r, t * 1000);
        // The same input gives the same answer: nothing is remembered outside the returned state.
        assert.deepEqual(evaluateRule(before, 50, r, t * 1000), result);
        if (result.transition === 'fire') fired.push([i, t]);
        else assert.equal(result.transition ?? null, null, `rule ${i} tick ${t}: ${result.transition}`);
        return Object.freeze(result.state); // a later call that wrote into it would throw
      });
    }
    assert.deepEqual(fired, Array.from({ length: 51 }, (_, i) => [i, 0]));
    assert.equal(states.filter((s) => s.phase === 'firing').length, 51);
    assert.ok(states.slice(51).every((s) => s.phase === 'ok'));
  });
});

describe('rule input', () => {
  const valid = { name: 'CPU', metric: 'cpu.usage_percent', operator: '>', threshold: 90, level: 'WARNING' };

  it('fills the defaults', () => {
    assert.deepEqual(ruleCreateSchema.parse(valid), {
      ...valid, host: null, forSeconds: 0, clearMargin: 0, enabled: true, channels: ['dashboard'], repeatSeconds: null,
    });
  });

  it('takes email and webhook channels', () => {
    const r = ruleCreateSchema.parse({ ...valid, channels: ['email', 'webhook:https://hooks.example.com/x'] });
    assert.deepEqual(r.channels, ['email', 'webhook:https://hooks.example.com/x']);
  });

  for (const [what, patch, pattern] of [
    ['a malformed metric name', { metric: 'cpu nope' }, /not a metric name/],
    ['a missing metric', { metric: undefined }, /metric must be a string/],
    ['an unknown operator', { operator: '=>' }, /operator/],
    ['a threshold that is a string', { threshold: '90' }, /threshold/],
    ['an infinite threshold', { threshold: Number.POSITIVE_INFINITY }, /threshold/],
    ['an impossible percentage', { threshold: 150 }, /never exceeds 100/],
    ['a negative threshold', { threshold: -1 }, /never negative/],
    ['an unknown level', { level: 'PANIC' }, /level/],
    ['a negative duration', { forSeconds: -5 }, /negative/],
    ['a fractional duration', { forSeconds: 1.5 }, /whole/],
    ['an empty name', { name: '  ' }, /name/],
    ['an unknown channel', { channels: ['sms'] }, /channel|webhook/],
    ['a webhook without a URL', { channels: ['webhook:not a url'] }, /webhook/],
    ['a webhook to a non-http URL', { channels: ['webhook:file:///etc/passwd'] }, /webhook/],
    ['an unknown field', { colour: 'red' }, /colour|Unrecognized/i],
  ] as const) {
    it(`refuses ${what}`, () => {
      const result = ruleCreateSchema.safeParse({ ...valid, ...patch });
      assert.equal(result.success, false);
      assert.match(JSON.stringify(result.error!.issues), pattern);
    });
  }

  it('refuses an empty patch', () => assert.equal(rulePatchSchema.safeParse({}).success, false));

  it('needs a rule or a host to silence', () => {
    assert.equal(silenceCreateSchema.safeParse({ minutes: 10 }).success, false);
    assert.equal(silenceCreateSchema.safeParse({ host: 'web-1', minutes: 10 }).success, true);
    assert.equal(silenceCreateSchema.safeParse({ host: 'web-1', minutes: 0 }).success, false);
  });
});

describe('alert order', () => {
  const a = (id: number, level: Alert['level'], state: Alert['state'], startedAt: number) => ({ id, level, state, startedAt }) as Alert;
  it('puts open before resolved, then the most severe, then the newest', () => {
    const sorted = [a(1, 'INFO', 'firing', 5), a(2, 'CRITICAL', 'resolved', 9), a(3, 'CRITICAL', 'acknowledged', 1), a(4, 'CRITICAL', 'firing', 3), a(5, 'WARNING', 'firing', 8)]
      .sort(compareAlerts)
      .map((x) => x.id);
    assert.deepEqual(sorted, [4, 3, 5, 1, 2]);
  });
});
