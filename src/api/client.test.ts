import { auditExportRequest, euAiActRequest, incidentsCSVRequest, listParams, toApiError } from './client';

describe('report downloads', () => {
  const id = '6f1c2a9e-3b4d-4e5f-8a7b-1c2d3e4f5a6b';

  it('asks for the audit export in the format chosen', () => {
    expect(auditExportRequest(id, 'markdown')).toEqual({
      path: `incidents/${id}/export`,
      params: { format: 'markdown' },
      fallbackName: `incident-${id}-audit.md`,
    });
    expect(auditExportRequest(id, 'html').fallbackName).toBe(`incident-${id}-audit.html`);
  });

  it('reads a PDF as bytes, the other formats as text', () => {
    expect(auditExportRequest(id, 'pdf')).toEqual({
      path: `incidents/${id}/export`,
      params: { format: 'pdf' },
      fallbackName: `incident-${id}-audit.pdf`,
      binary: true,
    });
    expect(euAiActRequest(id, 'initial', 'pdf')).toMatchObject({
      params: { type: 'initial', format: 'pdf' },
      fallbackName: `incident-${id}-eu-ai-act-initial.pdf`,
      binary: true,
    });
    expect(auditExportRequest(id, 'html').binary).toBeUndefined();
  });

  it('asks for the EU AI Act draft of the type chosen', () => {
    expect(euAiActRequest(id, 'follow_up', 'json')).toEqual({
      path: `incidents/${id}/reports/eu-ai-act`,
      params: { type: 'follow_up', format: 'json' },
      fallbackName: `incident-${id}-eu-ai-act-follow-up.json`,
    });
  });

  it('keeps an id in its path segment', () => {
    expect(auditExportRequest('a/../../b?x=1', 'json').path).toBe('incidents/a%2F..%2F..%2Fb%3Fx%3D1/export');
  });

  it('asks for the CSV of the time range, drills only when shown', () => {
    expect(incidentsCSVRequest('1764547200000', '1765152000000')).toEqual({
      path: 'incidents/export',
      params: { from: '1764547200000', to: '1765152000000' },
      fallbackName: 'incidents.csv',
    });
    expect(incidentsCSVRequest('1', '2', true).params).toEqual({ from: '1', to: '2', drills: 'true' });
  });

  it("shows the backend's message of a refused download, read as text", () => {
    const err = toApiError({
      status: 400,
      statusText: 'Bad Request',
      data: { error: 'Bad Request', response: '{"error":"format: \\"docx\\" is not json, markdown, html or pdf"}\n' },
    });
    expect(err.status).toBe(400);
    expect(err.message).toBe('format: "docx" is not json, markdown, html or pdf');
    const bytes = new TextEncoder().encode('{"error":"incident 1 is not flagged under the EU AI Act"}\n');
    const asBytes = toApiError({
      status: 409,
      data: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
    });
    expect(asBytes.message).toBe('incident 1 is not flagged under the EU AI Act');
    expect(toApiError({ status: 502, data: { error: 'Bad Gateway', response: 'not json' } }).message).toBe(
      'Bad Gateway'
    );
  });
});

describe('the list query', () => {
  it('sends the taxonomy filters comma-separated under the API names, and leaves out the empty ones', () => {
    expect(
      listParams({
        owasp_llm: ['LLM01', 'LLM09'],
        harm: ['health'],
        atlas_tactics: [],
        nist_ai_600_1: ['confabulation'],
      })
    ).toEqual({ owasp_llm: 'LLM01,LLM09', harm: 'health', nist_ai_600_1: 'confabulation' });
    expect(listParams({ deployment_breadth: ['cross_border'] })).toEqual({ deployment_breadth: 'cross_border' });
  });
});
