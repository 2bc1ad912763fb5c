/**
 * Local days as instants: a report's day is a calendar day in TZ, 23 or 25
 * hours long when the clock changes in it. Expected instants are written out
 * from the published rules (EU: last Sunday of March/October at 01:00 UTC;
 * US: second Sunday of March / first of November at 02:00 local; Chile: the
 * clock jumps from 24:00 to 01:00).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addDays, dayRange, daysBetween, isDay, isTimeZone, localDayOf, startOfDay, timeOnDay } from '../../shared/reports.ts';

const iso = (ms: number) => new Date(ms).toISOString();
const HOUR = 3_600_000;

function assertDay(day: string, tz: string, from: string, to: string, hours: number) {
  const r = dayRange(day, day, tz);
  assert.equal(iso(r.fromMs), from, `${day} in ${tz} starts`);
  assert.equal(iso(r.toMs), to, `${day} in ${tz} ends`);
  assert.equal((r.toMs - r.fromMs) / HOUR, hours, `${day} in ${tz} is ${hours} h long`);
  assert.equal(localDayOf(r.fromMs, tz), day, 'its first instant lies in it');
  assert.equal(localDayOf(r.toMs - 1, tz), day, 'its last millisecond lies in it');
  assert.equal(localDayOf(r.fromMs - 1, tz), addDays(day, -1), 'the millisecond before is the day before');
}

describe('local day bounds', () => {
  it('gives Berlin winter and summer days of 24 hours at their UTC offsets', () => {
    assertDay('2026-11-18', 'Europe/Berlin', '2026-11-17T23:00:00.000Z', '2026-11-18T23:00:00.000Z', 24);
    assertDay('2026-07-01', 'Europe/Berlin', '2026-06-30T22:00:00.000Z', '2026-07-01T22:00:00.000Z', 24);
  });

  it('makes the Berlin spring-forward day 23 hours and the fall-back day 25', () => {
    assertDay('2026-03-29', 'Europe/Berlin', '2026-03-28T23:00:00.000Z', '2026-03-29T22:00:00.000Z', 23);
    assertDay('2026-10-25', 'Europe/Berlin', '2026-10-24T22:00:00.000Z', '2026-10-25T23:00:00.000Z', 25);
  });

  it('does the same in New York, whose clock changes on other Sundays', () => {
    assertDay('2026-11-18', 'America/New_York', '2026-11-18T05:00:00.000Z', '2026-11-19T05:00:00.000Z', 24);
    assertDay('2026-03-08', 'America/New_York', '2026-03-08T05:00:00.000Z', '2026-03-09T04:00:00.000Z', 23);
    assertDay('2026-11-01', 'America/New_York', '2026-11-01T04:00:00.000Z', '2026-11-02T05:00:00.000Z', 25);
    // The Berlin DST days are ordinary days there.
    assertDay('2026-03-29', 'America/New_York', '2026-03-29T04:00:00.000Z', '2026-03-30T04:00:00.000Z', 24);
  });

  it('starts a day whose midnight the clock skips at the jump (Santiago)', () => {
    assertDay('2026-09-06', 'America/Santiago', '2026-09-06T04:00:00.000Z', '2026-09-07T03:00:00.000Z', 23);
    assertDay('2026-09-05', 'America/Santiago', '2026-09-05T04:00:00.000Z', '2026-09-06T04:00:00.000Z', 24);
  });

  it('handles midnights that are not UTC hours (Kolkata, +05:30)', () => {
    assertDay('2026-11-18', 'Asia/Kolkata', '2026-11-17T18:30:00.000Z', '2026-11-18T18:30:00.000Z', 24);
  });

  it('spans several days of a range, DST included', () => {
    const r = dayRange('2026-10-24', '2026-10-26', 'Europe/Berlin');
    assert.equal(iso(r.fromMs), '2026-10-23T22:00:00.000Z');
    assert.equal(iso(r.toMs), '2026-10-26T23:00:00.000Z');
    assert.equal((r.toMs - r.fromMs) / HOUR, 73);
    assert.equal(startOfDay('2026-10-26', 'Europe/Berlin'), Date.parse('2026-10-25T23:00:00Z'));
  });

  it('places REPORT_TIME on a day: at the jump when skipped, at the first occurrence when repeated', () => {
    assert.equal(iso(timeOnDay('2026-11-19', 7, 0, 'Europe/Berlin')), '2026-11-19T06:00:00.000Z');
    assert.equal(iso(timeOnDay('2026-03-29', 2, 30, 'Europe/Berlin')), '2026-03-29T01:00:00.000Z');
    assert.equal(iso(timeOnDay('2026-10-25', 2, 30, 'Europe/Berlin')), '2026-10-25T00:30:00.000Z');
  });
});

describe('calendar days', () => {
  it('accepts real days only', () => {
    for (const good of ['2026-11-30', '2024-02-29', '2000-01-01']) assert.ok(isDay(good), good);
    for (const bad of ['2026-13-40', '2026-02-29', '2026-11-31', '2026-1-05', '20261105', '2026-11-30T00:00', '']) assert.ok(!isDay(bad), bad);
  });

  it('adds and counts days across months, years and leap days', () => {
    assert.equal(addDays('2026-12-31', 1), '2027-01-01');
    assert.equal(addDays('2024-03-01', -1), '2024-02-29');
    assert.equal(addDays('2026-11-18', -7), '2026-11-11');
    assert.equal(daysBetween('2026-11-01', '2026-12-01'), 30);
    assert.equal(daysBetween('2026-03-28', '2026-03-30'), 2, 'a DST day is one calendar day');
  });

  it('knows time zones Intl knows', () => {
    assert.ok(isTimeZone('Europe/Berlin'));
    assert.ok(isTimeZone('UTC'));
    assert.ok(!isTimeZone('Mars/Olympus_Mons'));
  });
});
