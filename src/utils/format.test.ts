import { actorLabel, formatDuration, moveRange, promExpr, sameLogin } from './format';

test.each([
  [0, '0s'],
  [59, '59s'],
  [60, '1m'],
  [3599, '59m'],
  [3600, '1h'],
  [3660, '1h 1m'],
  [47 * 3600, '47h'],
  [48 * 3600, '2d'],
  [50 * 3600, '2d 2h'],
  [-90, '1m'],
])('formatDuration(%s) = %s', (s, want) => expect(formatDuration(s)).toBe(want));

test('actorLabel', () => {
  expect(actorLabel('user:alice')).toBe('alice');
  expect(actorLabel('rule:AIHallucinationRateHigh')).toBe('alert rule AIHallucinationRateHigh');
  expect(actorLabel('firebreak')).toBe('Firebreak');
});

test('promExpr takes g0.expr of a generatorURL', () => {
  expect(promExpr('http://prom:9090/graph?g0.expr=rate%28x%5B5m%5D%29+%3E+0&g0.tab=1')).toBe('rate(x[5m]) > 0');
  expect(promExpr('http://grafana/alerting/grafana/abc/view')).toBeUndefined();
  expect(promExpr('not a url')).toBeUndefined();
  expect(promExpr(undefined)).toBeUndefined();
});

test('sameLogin ignores case, never matches empty', () => {
  expect(sameLogin('Alice', 'alice')).toBe(true);
  expect(sameLogin('', '')).toBe(false);
  expect(sameLogin('bob', 'alice')).toBe(false);
});

test('moveRange', () => {
  const now = 10_000;
  expect(moveRange(4000, 6000, -1, now)).toEqual({ from: 2000, to: 4000 });
  expect(moveRange(4000, 6000, 1, now)).toEqual({ from: 6000, to: 8000 });
  expect(moveRange(7000, 9000, 1, now)).toEqual({ from: 8000, to: 10000 });
  expect(moveRange(4000, 6000, 0, now)).toEqual({ from: 3000, to: 7000 });
  expect(moveRange(8000, 10000, 0, now)).toEqual({ from: 7000, to: 10000 });
});
