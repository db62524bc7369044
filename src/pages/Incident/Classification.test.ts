import { classificationSource, classificationSummary } from './Classification';

describe('classificationSummary', () => {
  it('says nothing of an unclassified incident', () => {
    expect(classificationSummary(undefined)).toBe('');
    expect(classificationSummary({})).toBe('');
  });

  it('lists the codes, the NIST risks by name, the harm and the people affected', () => {
    expect(
      classificationSummary({
        owasp_llm: ['LLM01', 'LLM09'],
        atlas_tactics: ['AML.TA0004'],
        nist_ai_600_1: ['confabulation'],
        harm: 'fundamental_rights',
        people_affected: 0,
        deployment_breadth: 'cross_border',
      })
    ).toBe(
      'LLM01 · LLM09 · AML.TA0004 Initial Access · Confabulation · Fundamental-rights infringement · 0 people affected · Across borders'
    );
  });
});

describe('classificationSource', () => {
  it('names the rule or the defaults a classification came from, nothing for a person', () => {
    expect(classificationSource('rule:AIPromptInjectionDetected')).toBe('from alert rule AIPromptInjectionDetected');
    expect(classificationSource('firebreak')).toBe("from the category's defaults");
    expect(classificationSource('user:alice')).toBe('');
    expect(classificationSource(undefined)).toBe('');
  });
});
