/** A request that Exchange would reject as failing schema validation (HTTP 500 fault). */
export class SchemaViolation extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SchemaViolation';
  }
}
