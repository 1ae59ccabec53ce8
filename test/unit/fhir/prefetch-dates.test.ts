import { fillTemplate } from '../../../src/cdshooks/fhir-client';

describe('prefetch relative dates (CDS Hooks 2.0, "Simple FHIRPath for Relative Dates")', () => {
  const context = { patientId: '1288992' };

  it("when the spec's own example is filled on 2024-09-13, then it reads date=gt2024-06-15", () => {
    const template =
      'Observation?patient={{context.patientId}}&category=laboratory&date=gt{{today() - 90 days}}';
    expect(fillTemplate(template, context, {}, new Date('2024-09-13T10:00:00Z'))).toBe(
      'Observation?patient=1288992&category=laboratory&date=gt2024-06-15',
    );
  });

  it('when a template adds days or uses today() alone, then each is a calendar date', () => {
    const template = 'Appointment?date=gt{{today()}}&date=lt{{today() + 365 days}}';
    expect(fillTemplate(template, context, {}, new Date('2024-09-13T10:00:00Z'))).toBe(
      'Appointment?date=gt2024-09-13&date=lt2025-09-13',
    );
  });

  it('when the patient token has no value, then the template cannot be filled', () => {
    expect(fillTemplate('Observation?patient={{context.patientId}}', {}, {})).toBeUndefined();
  });
});
