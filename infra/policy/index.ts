import { PolicyPack } from '@pulumi/policy';
import { RESOURCE_RULES, STACK_RULES } from './rules.js';

// The pack of rules.ts, all mandatory. Built by `npm run policy:build` into dist/policy-pack (CommonJS), which
// `pulumi up --policy-pack dist/policy-pack` loads.
new PolicyPack('loan-default-security', {
  policies: [
    ...RESOURCE_RULES.map((rule) => ({
      name: rule.name,
      description: rule.description,
      enforcementLevel: 'mandatory' as const,
      validateResource: (
        args: { type: string; name: string; props: Record<string, unknown> },
        report: (message: string) => void,
      ) => {
        rule.check({ type: args.type, name: args.name, props: args.props }).forEach(report);
      },
    })),
    ...STACK_RULES.map((rule) => ({
      name: rule.name,
      description: rule.description,
      enforcementLevel: 'mandatory' as const,
      validateStack: (
        args: { resources: { type: string; name: string; props: Record<string, unknown> }[] },
        report: (message: string) => void,
      ) => {
        rule.check(args.resources.map((r) => ({ type: r.type, name: r.name, props: r.props }))).forEach(report);
      },
    })),
  ],
});
