// Tests read JSON responses whose shape each assertion checks; type them loosely here.
interface Response {
  json(): Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}
