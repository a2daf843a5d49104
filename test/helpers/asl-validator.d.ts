/** asl-validator ships no types: the one function it exports, as its source (dist/src/validator.js) defines it. */
declare module 'asl-validator' {
  interface AslValidation {
    isValid: boolean;
    errors: { 'Error code': string; Message: string }[];
    errorsText(separator?: string): string;
  }
  const validator: (definition: unknown, options?: { checkPaths?: boolean; checkArn?: boolean }) => AslValidation;
  export default validator;
}
