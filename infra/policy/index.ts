import { PolicyPack } from '@pulumi/policy';
import { RESOURCE_RULES, STACK_RULES } from './rules.js';

// `pulumi preview --policy-pack infra/policy`: the rules of rules.ts, all mandatory.
new PolicyPack('loan-default-security', {
  policies: [
    ...RESOURCE_RULES.map((rule) => ({
      name: rule.name,
      description: rule.description,
      enforcementLevel: 'mandatory' as const,
      validateResource: (args: { type: string; name: string; props: Record<string, unknown> }, report: (message: string) => void) => {
        rule.check({ type: args.type, name: args.name, props: args.props }).forEach(report);
      },
    })),
    ...STACK_RULES.map((rule) => ({
      name: rule.name,
      description: rule.description,
      enforcementLevel: 'mandatory' as const,
      validateStack: (args: { resources: { type: string; name: string; props: Record<string, unknown> }[] }, report: (message: string) => void) => {
        rule.check(args.resources.map((r) => ({ type: r.type, name: r.name, props: r.props }))).forEach(report);
      },
    })),
  ],
});
