/** A minimal valid request: an adult, not pregnant, with an attested empty medication list. */
export function makeRequest(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    asOf: '2026-01-15T09:00:00Z',
    patient: { age: 40, sex: 'female', pregnancy: 'not-pregnant', lactating: false },
    medications: { attested: true, items: [] },
    ...overrides,
  };
}

export function phq9(items: number[]): Record<string, unknown> {
  return { instrument: 'phq-9', items };
}
