/**
 * Import rules for service/src, checked by test/unit/architecture.spec.ts. Type-only imports count too: a
 * circle of types is still a circle a reader must hold in their head.
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'files that import each other, directly or through others',
      from: {},
      to: { circular: true },
    },
    {
      name: 'service-is-a-library-for-jobs',
      severity: 'error',
      comment: 'jobs/ (retraining) and scripts/ use the service code; the service never reaches into them',
      from: { path: '^service/src' },
      to: { path: '^(jobs|scripts|infra)/' },
    },
    {
      name: 'service-without-the-jobs-engine',
      severity: 'error',
      comment: "DuckDB is the data jobs' engine; the service image leaves it out (scripts/prune-production-modules.sh)",
      from: { path: '^service/src' },
      to: { path: '@duckdb' },
    },
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    // Package subpaths (csv-parse/sync) resolve through their exports, as Node resolves them.
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
    exclude: { path: 'node_modules' },
  },
};
