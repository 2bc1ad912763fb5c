/**
 * Rule evaluation as a pure state machine, one (rule, host) at a time:
 *
 *   ok ──breach──► pending ──held forSeconds──► firing ──cleared──► ok
 *    ▲               │ no longer breached          │ resolved by an operator
 *    └───────────────┘                             ▼
 *    ▲                                          latched (silent until cleared)
 *    └──────────────────cleared───────────────────┘
 *
 * "Cleared" applies the rule's clear margin (hysteresis), so a value hovering
 * at the threshold does not flap. A missing value (null) changes nothing.
 * Acknowledgement is not a phase here: an acknowledged alert is still firing.
 */
import type { Operator } from '../../shared/alerts.ts';

export type Phase = 'ok' | 'pending' | 'firing' | 'latched';

export interface RuleState {
  phase: Phase;
  /** When the current phase began (epoch ms). */
  since: number;
}

export interface EvaluatedRule {
  operator: Operator;
  threshold: number;
  forSeconds: number;
  clearMargin: number;
}

/** What happened on this evaluation, if anything. */
export type Transition = 'pending' | 'cancelled' | 'fire' | 'resolve' | 'unlatch';

export const OK: RuleState = { phase: 'ok', since: 0 };

export function breaches(op: Operator, value: number, threshold: number): boolean {
  switch (op) {
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
    case '==':
      return value === threshold;
  }
}

/** True once the value is at least `margin` on the good side of the threshold. */
export function cleared(op: Operator, value: number, threshold: number, margin: number): boolean {
  switch (op) {
    case '>':
      return value <= threshold - margin;
    case '>=':
      return value < threshold - margin;
    case '<':
      return value >= threshold + margin;
    case '<=':
      return value > threshold + margin;
    case '==':
      return Math.abs(value - threshold) > margin;
  }
}

export function evaluateRule(
  state: RuleState,
  value: number | null | undefined,
  rule: EvaluatedRule,
  now: number,
): { state: RuleState; transition?: Transition } {
  if (value == null || !Number.isFinite(value)) return { state };
  const breach = breaches(rule.operator, value, rule.threshold);
  switch (state.phase) {
    case 'ok':
      if (!breach) return { state };
      if (rule.forSeconds === 0) return { state: { phase: 'firing', since: now }, transition: 'fire' };
      return { state: { phase: 'pending', since: now }, transition: 'pending' };
    case 'pending':
      if (!breach) return { state: { phase: 'ok', since: now }, transition: 'cancelled' };
      if (now - state.since >= rule.forSeconds * 1000) return { state: { phase: 'firing', since: now }, transition: 'fire' };
      return { state };
    case 'firing':
      if (cleared(rule.operator, value, rule.threshold, rule.clearMargin)) {
        return { state: { phase: 'ok', since: now }, transition: 'resolve' };
      }
      return { state };
    case 'latched':
      if (cleared(rule.operator, value, rule.threshold, rule.clearMargin)) {
        return { state: { phase: 'ok', since: now }, transition: 'unlatch' };
      }
      return { state };
  }
}
