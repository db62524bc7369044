// Reports: the incident report for auditors and the EU AI Act draft downloaded from the incident page, the CSV of
// the queue's time range; each file's content checked, and the draft's record on the timeline.
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { Download } from '@playwright/test';
import { testIds } from '../../../src/components/testIds';
import { expect, expectAccessible, screenshots, test } from '../fixtures';
import { APP, backend, declare, incidentURL, RESOURCES, unique } from './helpers';

async function text(d: Download) {
  const file = await d.path();
  expect(file, 'the download finished').toBeTruthy();
  return readFile(file!, 'utf8');
}

// pdf checks a downloaded PDF arrived as bytes (text would have mangled them) and returns its text, extracted by
// poppler's pdftotext (scripts/install-deps installs poppler-utils), its whitespace joined.
async function pdf(d: Download) {
  const file = await d.path();
  expect(file, 'the download finished').toBeTruthy();
  const bytes = await readFile(file!);
  expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
  expect(bytes.length).toBeGreaterThan(10_000);
  expect(bytes.subarray(-6).toString('latin1')).toContain('%%EOF');
  return execFileSync('pdftotext', ['-enc', 'UTF-8', file!, '-'], { encoding: 'utf8' }).split(/\s+/).join(' ');
}

test.describe('reports', () => {
  test.use({ user: { login: 'alice', role: 'Editor' } });

  test('the auditors’ export and the EU AI Act draft download from the incident page', async ({ page }) => {
    const title = unique('Reported incident');
    const id = await declare(page.request, { title, severity: 'SEV1' });
    await page.goto(incidentURL(id));
    const header = page.getByTestId(testIds.incident.header);
    await expect(header.getByRole('button', { name: 'Draft EU AI Act report' })).toHaveCount(0);

    // A hallucination starts classified from its category's defaults (the mapping file's taxonomy.defaults).
    await expect(header.getByTestId(testIds.incident.classification)).toContainText('LLM09 · Confabulation');
    // Classified further through its dialog: the reports carry it.
    await header.getByRole('button', { name: 'Classify' }).click();
    await page.getByLabel('Harm (EU classification)').click();
    await page.getByRole('option', { name: 'Fundamental-rights infringement' }).click();
    await page.getByLabel('People affected').fill('40');
    await page.getByRole('button', { name: 'Save classification' }).click();
    await expect(header.getByTestId(testIds.incident.classification)).toContainText(
      'LLM09 · Confabulation · Fundamental-rights infringement · 40 people affected'
    );

    // For auditors, as Markdown, then as printable HTML, then as PDF.
    await header.getByRole('button', { name: 'Export for auditors' }).click();
    let [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('menuitem', { name: 'Markdown' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe(`incident-${id}-audit.md`);
    const md = await text(download);
    expect(md).toContain(`# Incident report: ${title}`);
    expect(md).toContain('- **Intact:** yes');
    expect(md).toContain('- **OWASP Top 10 for LLM Applications 2025:** LLM09 Misinformation');
    expect(md).toMatch(/\| 1 \| [^|]+ \| [^|]+ \| declared \| user:alice \|/);
    await header.getByRole('button', { name: 'Export for auditors' }).click();
    [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('menuitem', { name: 'HTML (prints well)' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe(`incident-${id}-audit.html`);
    const html = await text(download);
    expect(html).toContain(`<title>Incident report: ${title}</title>`);
    expect(html).toContain('@media print');
    await header.getByRole('button', { name: 'Export for auditors' }).click();
    [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('menuitem', { name: 'PDF', exact: true }).click(),
    ]);
    expect(download.suggestedFilename()).toBe(`incident-${id}-audit.pdf`);
    const auditPDF = await pdf(download);
    expect(auditPDF).toContain(`Incident report: ${title}`);
    expect(auditPDF).toContain('OWASP Top 10 for LLM Applications 2025 LLM09 Misinformation');
    expect(auditPDF).toContain('Timeline integrity Intact yes');

    // The EU AI Act draft, once the incident is flagged.
    const flagged = await page.request.post(`${RESOURCES}/incidents/${id}/regulatory`, {
      data: { regime: 'eu_ai_act', tier: 'standard', aware_at: new Date().toISOString() },
    });
    expect(flagged.status(), await flagged.text()).toBe(200);
    await page.reload();
    await page.getByRole('button', { name: 'Draft EU AI Act report' }).click();
    const dialog = page.getByTestId(testIds.incident.euReportDialog);
    await dialog.getByRole('radio', { name: 'Combined initial and final' }).check({ force: true });
    await dialog.getByRole('radio', { name: 'JSON' }).check({ force: true });
    [download] = await Promise.all([
      page.waitForEvent('download'),
      dialog.getByRole('button', { name: 'Download draft' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe(`incident-${id}-eu-ai-act-combined.json`);
    const draft = JSON.parse(await text(download));
    expect(draft.schema).toBe('firebreak.eu-ai-act-serious-incident/v1');
    expect(draft.incident_id).toBe(id);
    expect(draft.report_type).toBe('combined');
    expect(draft.ai_system.name.value).toBe('supportbot');
    expect(draft.to_fill).toContain('incident.member_states');
    expect(draft.administrative.incident_classification.value).toContain('fundamental rights (Art. 3(49)(c))');
    expect(draft.incident.users_affected.value).toBe('40 people.');
    await expect(dialog).toHaveCount(0);

    // The same draft as PDF, the dialog's first choice: the same content, so no second record.
    await page.getByRole('button', { name: 'Draft EU AI Act report' }).click();
    await dialog.getByRole('radio', { name: 'Combined initial and final' }).check({ force: true });
    await expect(dialog.getByRole('radio', { name: 'PDF', exact: true })).toBeChecked();
    [download] = await Promise.all([
      page.waitForEvent('download'),
      dialog.getByRole('button', { name: 'Download draft' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe(`incident-${id}-eu-ai-act-combined.pdf`);
    const draftPDF = await pdf(download);
    expect(draftPDF).toContain('EU AI Act serious incident report (combined initial and final report): DRAFT');
    expect(draftPDF).toContain(`Incident ${id}: ${title}`);
    expect(draftPDF).toContain('Member States concerned [TO FILL]');
    await expect(dialog).toHaveCount(0);

    const drafted = (await backend(page, id)).timeline.filter((e: { kind: string }) => e.kind === 'report_drafted');
    expect(drafted).toHaveLength(1);
    expect(drafted[0].message).toContain('EU AI Act combined report drafted by alice');

    // The two dialogs as a compliance person sees them, accessible in both themes.
    const classifyDialog = page.getByRole('dialog', { name: 'Classify the incident' });
    await screenshots(page, 'classify-dialog', header, async (p) => {
      await header.getByRole('button', { name: 'Classify' }).click();
      await expect(classifyDialog).toBeVisible();
      await expectAccessible(p);
    });
    await page.keyboard.press('Escape');
    await screenshots(page, 'eu-report-dialog', header, async (p) => {
      await p.getByRole('button', { name: 'Draft EU AI Act report' }).click();
      await expect(dialog).toBeVisible();
      await expectAccessible(p);
    });
  });

  test('the queue exports its time range as CSV', async ({ page }) => {
    const title = unique('In the CSV');
    const id = await declare(page.request, { title });
    await page.goto(`${APP}/incidents?from=now-1h&to=now`);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export CSV' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^incidents-\d{8}T\d{6}Z-\d{8}T\d{6}Z\.csv$/);
    const csv = await text(download);
    const [head, ...rows] = csv.trim().split('\n');
    expect(head.split(',').slice(0, 3)).toEqual(['incident_id', 'title', 'ai_system']);
    expect(rows.find((r) => r.startsWith(`${id},`))).toContain(`${id},${title},supportbot,hallucination,SEV2,declared`);
  });
});
