// jstat ships no types and has no named exports at run time (import the default).
declare module "jstat" {
  interface Continuous {
    cdf(x: number, ...params: number[]): number;
    pdf(x: number, ...params: number[]): number;
    inv(p: number, ...params: number[]): number;
    sample(...params: number[]): number;
  }
  interface JStat {
    normal: Continuous;
    studentt: Continuous;
    chisquare: Continuous;
    beta: Continuous;
    betaln(a: number, b: number): number;
    gammaln(x: number): number;
  }
  const jStat: JStat;
  export default jStat;
}
