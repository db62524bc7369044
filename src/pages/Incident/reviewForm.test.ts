import { fieldOfError, toForm, toReview, validate, validDate } from './reviewForm';

test.each([
  ['2026-12-31', true],
  ['2026-02-30', false],
  ['31/12/2026', false],
  ['2026-1-1', false],
  ['', false],
])('validDate(%s) = %s', (s, ok) => expect(validDate(s)).toBe(ok));

test('validate names the fields as the backend does', () => {
  const f = toForm(null);
  f.action_items = [
    { text: '', owner: 'bob', due: '2026-13-01', status: 'open' },
    { text: 'ok', owner: '', due: '', status: 'open' },
  ];
  f.impact = 'x'.repeat(10001);
  expect(validate(f)).toEqual({
    'action_items[0].text': 'What is to be done?',
    'action_items[0].due': '"2026-13-01" is not a date like 2026-12-31',
    impact: 'At most 10000 characters (now 10001)',
  });
});

test('toReview leaves empty times out and trims action items', () => {
  const f = toForm(null);
  f.action_items = [{ text: ' scope retrieval ', owner: ' bob ', due: '2027-01-31', status: 'open' }];
  const r = toReview(f);
  expect(r.started_at).toBeUndefined();
  expect(r.action_items).toEqual([{ text: 'scope retrieval', owner: 'bob', due: '2027-01-31', status: 'open' }]);
});

test('fieldOfError', () => {
  expect(fieldOfError('action_items[2].due: "x" is not a date')).toBe('action_items[2].due');
  expect(fieldOfError('root_cause_class: "y" is not one of')).toBe('root_cause_class');
  expect(fieldOfError('something else')).toBeUndefined();
});

test('a new review starts with the times Firebreak knows; a stored one keeps its own', () => {
  const inc = { started_at: '2026-12-01T10:00:00Z', declared_at: '2026-12-01T10:02:00Z', contained_at: undefined };
  expect(toForm(null, inc)).toMatchObject({
    started_at: inc.started_at,
    detected_at: inc.declared_at,
    contained_at: undefined,
  });
  const stored = { ...toForm(null), started_at: '2026-11-30T00:00:00Z', detected_at: undefined, action_items: null };
  expect(toForm(stored, inc)).toMatchObject({ started_at: '2026-11-30T00:00:00Z', detected_at: undefined });
});
