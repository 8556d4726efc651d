/**
 * A problem with the input file that the user can fix (bad header, bad row,
 * wrong encoding, ...). The file is marked failed with this message; retrying
 * the same file version will not help. `line`/`column` are 1-based and refer
 * to the physical CSV file (the header is line 1).
 */
export class InputError extends Error {
  constructor(
    message: string,
    public readonly line?: number,
    public readonly column?: string,
  ) {
    super(message);
    this.name = 'InputError';
  }
}
