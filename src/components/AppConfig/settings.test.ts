// The form model's pure functions: jsonData.aiSystems read, checked as pkg/plugin parseAISystems checks it, and
// written back.
import { AppSettings } from '../../types';
import {
  fieldKey,
  FormState,
  newAISystemRow,
  toFormState,
  toJsonData,
  utf8Length,
  validate,
  validateLength,
} from './settings';
import { SUPPORTBOT_FACTS } from './testdata';

const base: AppSettings = {
  clickhouse: { address: 'ch:9000', database: 'firebreak', user: 'default', tls: false, tlsSkipVerify: false },
  receiver: { url: 'http://receiver:9095' },
  sla: {},
  escalation: { SEV1: [], SEV2: [], SEV3: [] },
};
const stored = { clickhousePassword: true, receiverApiToken: true };

// The README's example, and a system with only some facts.
const aiSystems = {
  supportbot: SUPPORTBOT_FACTS,
  'search-ranker': { provider: 'Acme GmbH' },
  codeassist: {},
};

const form = (jsonData: AppSettings = { ...base, aiSystems }) => toFormState(jsonData, stored);
const withRows = (rows: FormState['aiSystems']) => ({ ...form(base), aiSystems: rows });
const aiErrors = (f: FormState) => validate(f).filter((e) => e.field.startsWith('aiSystems.'));

describe('aiSystems settings', () => {
  test('an unchanged form saves the same aiSystems, in the same order', () => {
    const f = form();
    expect(f.aiSystems.map((r) => r.system)).toEqual(['supportbot', 'search-ranker', 'codeassist']);
    expect(f.aiSystems[0]).toMatchObject({ ...aiSystems.supportbot, system: 'supportbot', unknown: [] });
    expect(validate(f)).toEqual([]);
    const saved = toJsonData(f);
    expect(saved.aiSystems).toEqual(aiSystems);
    expect(Object.keys(saved.aiSystems!)).toEqual(['supportbot', 'search-ranker', 'codeassist']);
    // And again from what was saved.
    expect(toJsonData(toFormState(saved, stored))).toEqual(saved);
  });

  test('no systems: no aiSystems key, and none added', () => {
    expect(form(base).aiSystems).toEqual([]);
    expect(toJsonData(form(base))).not.toHaveProperty('aiSystems');
  });

  test('trims, leaves out empty facts, and drops blank rows', () => {
    const f = withRows([
      newAISystemRow(' creditbot ', { provider: ' Acme GmbH ', name: '  ', submitterRole: 'deployer' }),
      newAISystemRow('', { provider: ' ', contact: '' }),
      newAISystemRow('fraud-scorer'),
    ]);
    expect(aiErrors(f)).toEqual([]);
    expect(toJsonData(f).aiSystems).toEqual({
      creditbot: { provider: 'Acme GmbH', submitterRole: 'deployer' },
      'fraud-scorer': {},
    });
  });

  test('every other setting is kept when the AI systems change', () => {
    const f = form({ ...base, aiSystems, futureSetting: { x: 1 } } as AppSettings);
    const saved = toJsonData({ ...f, aiSystems: f.aiSystems.slice(1) }) as AppSettings & { futureSetting: unknown };
    expect(saved.futureSetting).toEqual({ x: 1 });
    expect(Object.keys(saved.aiSystems!)).toEqual(['search-ranker', 'codeassist']);
    // All removed: no aiSystems left behind.
    expect(toJsonData({ ...f, aiSystems: [] })).not.toHaveProperty('aiSystems');
  });

  test.each([
    [
      'a fact without its system',
      [newAISystemRow('  ', { provider: 'Acme GmbH' })],
      fieldKey.aiSystem(0, 'system'),
      'AI system 1',
      'Required: the ai_system label value of the incidents these facts are for',
    ],
    [
      'a system given twice (once trimmed)',
      [newAISystemRow('supportbot'), newAISystemRow('other'), newAISystemRow(' supportbot', { name: 'x' })],
      fieldKey.aiSystem(2, 'system'),
      'AI system 3',
      '"supportbot" is already AI system 1',
    ],
    [
      'a system of 201 characters',
      [newAISystemRow('s'.repeat(201))],
      fieldKey.aiSystem(0, 'system'),
      'AI system 1',
      'Too long: 201 characters, at most 200',
    ],
    [
      'a provider of 1001 characters',
      [newAISystemRow('bot', { provider: 'p'.repeat(1001) })],
      fieldKey.aiSystem(0, 'provider'),
      'bot provider',
      'Too long: 1001 characters, at most 1000',
    ],
    [
      'a contact of 1001 bytes in 501 characters',
      [newAISystemRow('bot', { contact: 'é'.repeat(500) + 'x' })],
      fieldKey.aiSystem(0, 'contact'),
      'bot contact',
      'Too long: 1001 bytes of UTF-8 (letters outside ASCII count 2 to 4), at most 1000',
    ],
    [
      'a role outside the list',
      [newAISystemRow('bot', { submitterRole: 'importer' })],
      fieldKey.aiSystem(0, 'submitterRole'),
      'bot submitter role',
      '"importer" is not one of provider, deployer, authorised_representative',
    ],
  ])('refuses %s, naming the field', (_, rows, field, label, message) => {
    expect(aiErrors(withRows(rows))).toEqual([{ field, label, message }]);
  });

  test('accepts each limit exactly', () => {
    const rows = [
      newAISystemRow('s'.repeat(200), {
        name: 'n'.repeat(1000),
        provider: 'é'.repeat(500),
        registrationId: '😀'.repeat(250),
        authority: ' '.repeat(5) + 'a'.repeat(1000) + ' ',
        contact: 'c'.repeat(1000),
      }),
      ...['provider', 'deployer', 'authorised_representative'].map((role, i) =>
        newAISystemRow(`bot${i}`, { submitterRole: role })
      ),
    ];
    expect(aiErrors(withRows(rows))).toEqual([]);
  });

  test('counts text as Go does: UTF-8 bytes', () => {
    expect(utf8Length('abc')).toBe(3);
    expect(utf8Length('é')).toBe(2);
    expect(utf8Length('€')).toBe(3);
    expect(utf8Length('😀')).toBe(4);
    expect(utf8Length('\ud800')).toBe(3); // a lone surrogate is saved as U+FFFD
    expect(validateLength('😀'.repeat(250), 1000)).toBeUndefined();
    expect(validateLength('😀'.repeat(250) + 'x', 1000)).toMatch(/^Too long: 1001 bytes/);
  });

  // As Go's decoder reads them: a field's name in any case, null as nothing.
  test('saved fields the backend refuses are named, and saving waits until they are dropped', () => {
    const f = form({
      ...base,
      aiSystems: {
        bot: { Provider: 'Acme', version: '2', contact: 7, name: null },
        other: 'Acme',
        empty: null,
      },
    } as unknown as AppSettings);
    expect(f.aiSystems.map((r) => [r.system, r.provider, r.contact, r.unknown])).toEqual([
      ['bot', 'Acme', '', ['version', 'contact (not text)']],
      ['other', '', '', ['(not an object)']],
      ['empty', '', '', []],
    ]);
    expect(aiErrors(f)).toEqual([
      {
        field: fieldKey.aiSystem(0, 'unknown'),
        label: 'bot',
        message: 'Saved fields the backend refuses: version, contact (not text). Drop them to save',
      },
      {
        field: fieldKey.aiSystem(1, 'unknown'),
        label: 'other',
        message: 'Saved fields the backend refuses: (not an object). Drop them to save',
      },
    ]);
    const dropped = { ...f, aiSystems: f.aiSystems.map((r) => ({ ...r, unknown: [] })) };
    expect(aiErrors(dropped)).toEqual([]);
    expect(toJsonData(dropped).aiSystems).toEqual({ bot: { provider: 'Acme' }, other: {}, empty: {} });
  });

  test('an aiSystems that is not an object gives no rows, and saving replaces it', () => {
    const f = form({ ...base, aiSystems: ['supportbot'] } as unknown as AppSettings);
    expect(f.aiSystems).toEqual([]);
    expect(toJsonData(f)).not.toHaveProperty('aiSystems');
  });
});
