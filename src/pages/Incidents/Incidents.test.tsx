import { readFilters, toListFilter, writeFilters } from './filters';

describe('queue filters in the URL', () => {
  test('the default is the open incidents of the last 90 days', () => {
    const f = readFilters(new URLSearchParams(''));
    expect(f.status).toEqual(['declared', 'acknowledged', 'contained']);
    expect(f.from).toBe('now-90d');
    expect(writeFilters(f).toString()).toBe('');
  });

  test.each([
    ['status=any', { status: [] }],
    ['status=resolved,closed', { status: ['resolved', 'closed'] }],
    ['severity=SEV1&severity=SEV2', { severity: ['SEV1', 'SEV2'] }],
    ['category=bias,nonsense', { category: ['bias'] }],
    ['ai_system=supportbot&q=refund&drills=true', { aiSystem: ['supportbot'], q: 'refund', drills: true }],
    ['from=1700000000000&to=now&cursor=abc', { from: '1700000000000', to: 'now', cursor: 'abc' }],
    ['owasp_llm=LLM01,LLM09&harm=health', { owaspLLM: ['LLM01', 'LLM09'], harm: ['health'] }],
    ['owasp_llm=LLM11,llm01,LLM02&harm=mild,other', { owaspLLM: ['LLM02'], harm: ['other'] }],
    [
      'atlas_tactics=AML.TA0005,AML.TA0016&nist_ai_600_1=confabulation,made_up&deployment_breadth=cross_border',
      { atlasTactics: ['AML.TA0005'], nistRisks: ['confabulation'], deploymentBreadth: ['cross_border'] },
    ],
  ])('%s reads and writes back', (query, want) => {
    const f = readFilters(new URLSearchParams(query));
    expect(f).toMatchObject(want);
    expect(readFilters(writeFilters(f))).toEqual(f);
  });

  test('unknown values are dropped, not sent', () => {
    expect(readFilters(new URLSearchParams('severity=SEV9&status=open')).severity).toEqual([]);
  });

  test('toListFilter sends the taxonomy filters as the API names them', () => {
    const f = readFilters(new URLSearchParams('owasp_llm=LLM06&harm=fundamental_rights,death'));
    expect(toListFilter(f, 1, 2, 50)).toMatchObject({ owasp_llm: ['LLM06'], harm: ['fundamental_rights', 'death'] });
    expect(writeFilters(f).toString()).toBe('owasp_llm=LLM06&harm=fundamental_rights%2Cdeath');
  });

  test('toListFilter sends the rarer classification filters as the API names them', () => {
    const f = readFilters(
      new URLSearchParams('atlas_tactics=AML.TA0000&nist_ai_600_1=data_privacy&deployment_breadth=member_state')
    );
    expect(toListFilter(f, 1, 2, 50)).toMatchObject({
      atlas_tactics: ['AML.TA0000'],
      nist_ai_600_1: ['data_privacy'],
      deployment_breadth: ['member_state'],
    });
  });

  test('toListFilter sends resolved times and no status for "any"', () => {
    const f = readFilters(new URLSearchParams('status=any&severity=SEV1'));
    expect(toListFilter(f, 1, 2, 50)).toMatchObject({
      status: undefined,
      severity: ['SEV1'],
      from: '1',
      to: '2',
      limit: 50,
    });
  });
});
