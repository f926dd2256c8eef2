// The one function of jStat the project uses (the package ships no declarations).
declare module 'jstat' {
  const jstat: {
    jStat: {
      hypgeom: {
        /** P(X = k) for X ~ Hypergeometric(population N, successes m, draws n). */
        pdf(k: number, N: number, m: number, n: number): number;
      };
    };
  };
  export default jstat;
}
