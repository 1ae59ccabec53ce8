/** The part of @lhncbc/ucum-lhc the tests use (the package ships no types). */
declare module '@lhncbc/ucum-lhc' {
  interface Validation {
    readonly status: 'valid' | 'invalid' | 'error';
    readonly ucumCode: string | null;
    readonly msg: readonly string[];
  }
  interface Conversion {
    readonly status: 'succeeded' | 'failed' | 'error';
    readonly toVal: number | null;
    readonly msg: readonly string[];
  }
  interface Utils {
    validateUnitString(unit: string): Validation;
    convertUnitTo(
      from: string,
      value: number,
      to: string,
      options?: { molecularWeight?: number },
    ): Conversion;
  }
  export const UcumLhcUtils: { getInstance(): Utils };
}
