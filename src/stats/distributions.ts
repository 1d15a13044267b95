import jStat from "jstat";

/** The few distribution functions evolvd needs, in one place (jstat underneath). */
export const normalCdf = (x: number): number => jStat.normal.cdf(x, 0, 1);
export const normalPdf = (x: number): number => jStat.normal.pdf(x, 0, 1);
export const normalQuantile = (p: number): number => jStat.normal.inv(p, 0, 1);
/** Upper tail of Student's t, falling back to the normal for very large df. */
export const studentTSurvival = (t: number, df: number): number =>
  // The lower tail at −t equals the upper tail at t and keeps its precision for large t.
  df > 1e7 || !Number.isFinite(df) ? normalCdf(-t) : jStat.studentt.cdf(-t, df);
export const studentTQuantile = (p: number, df: number): number =>
  df > 1e7 || !Number.isFinite(df) ? normalQuantile(p) : jStat.studentt.inv(p, df);
export const chiSquareSurvival = (x: number, df: number): number => Math.max(0, 1 - jStat.chisquare.cdf(x, df));
export const logBeta = (a: number, b: number): number => jStat.betaln(a, b);
