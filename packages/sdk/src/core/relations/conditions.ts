import type { CelNode } from "./cel/ast";
import { evaluateCel } from "./cel/evaluate";
import { CelSyntaxError } from "./cel/lexer";
import { type ParamType, paramTypeFromJson, toCelValue } from "./cel/param-types";
import { parseCel } from "./cel/parser";
import { CelEvalError } from "./cel/values";
import { issue, type RelationIssue } from "./errors";
import type { ConditionJson } from "./model-json";

export interface CompiledCondition {
  name: string;
  expression: string;
  params: Map<string, ParamType>;
  ast: CelNode;
}

/** The outcome of a condition: met, not met, or an error (missing parameter, type mismatch, evaluation fault). */
export type ConditionOutcome = { met: boolean; error?: undefined } | { met?: undefined; error: string };

export function compileCondition(
  key: string,
  json: ConditionJson,
  path: string,
): CompiledCondition | RelationIssue[] {
  const problems: RelationIssue[] = [];
  if (json.name !== undefined && json.name !== key) {
    problems.push(
      issue("INVALID_MODEL", `condition key '${key}' does not match its name '${json.name}'`, `${path}.name`),
    );
  }
  const params = new Map<string, ParamType>();
  for (const [name, typeJson] of Object.entries(json.parameters ?? {})) {
    const t = paramTypeFromJson(typeJson);
    if (typeof t === "string")
      problems.push(
        issue("INVALID_MODEL", `condition '${key}' parameter '${name}': ${t}`, `${path}.parameters.${name}`),
      );
    else params.set(name, t);
  }
  let ast: CelNode | null = null;
  try {
    ast = parseCel(json.expression ?? "");
  } catch (e) {
    const message = e instanceof CelSyntaxError ? e.message : String(e);
    problems.push(issue("INVALID_MODEL", `condition '${key}' expression: ${message}`, `${path}.expression`));
  }
  if (ast) {
    for (const name of freeIdentifiers(ast)) {
      if (!params.has(name)) {
        problems.push(
          issue(
            "INVALID_MODEL",
            `condition '${key}' uses undeclared parameter '${name}'`,
            `${path}.expression`,
          ),
        );
      }
    }
  }
  if (problems.length > 0 || !ast) return problems;
  return { name: key, expression: json.expression, params, ast };
}

/**
 * Evaluates a condition of a tuple. The tuple's own context wins over the request's for a parameter named
 * in both, so a stored grant cannot be widened by a caller. Every declared parameter must be supplied.
 */
export function evaluateCondition(
  c: CompiledCondition,
  tupleContext: Record<string, unknown> | undefined,
  requestContext: Record<string, unknown> | undefined,
): ConditionOutcome {
  const vars = new Map<string, unknown>();
  const missing: string[] = [];
  try {
    for (const [name, type] of c.params) {
      // Own properties only: a parameter named `valueOf` or `constructor` must not read Object.prototype's.
      const raw =
        tupleContext && Object.hasOwn(tupleContext, name)
          ? tupleContext[name]
          : requestContext && Object.hasOwn(requestContext, name)
            ? requestContext[name]
            : undefined;
      if (raw === undefined) {
        missing.push(name);
        continue;
      }
      vars.set(name, toCelValue(type, raw));
    }
    if (missing.length > 0)
      return { error: `condition '${c.name}' is missing context parameters: ${missing.join(", ")}` };
    const result = evaluateCel(c.ast, vars);
    if (typeof result !== "boolean") return { error: `condition '${c.name}' did not evaluate to a bool` };
    return { met: result };
  } catch (e) {
    const message = e instanceof CelEvalError ? e.message : String(e);
    return { error: `condition '${c.name}': ${message}` };
  }
}

/** Checks that a tuple's stored context names declared parameters with values of their types. */
export function validateConditionContext(
  c: CompiledCondition,
  context: Record<string, unknown> | undefined,
): string | null {
  for (const [name, value] of Object.entries(context ?? {})) {
    const type = c.params.get(name);
    if (!type) return `condition '${c.name}' has no parameter '${name}'`;
    try {
      toCelValue(type, value);
    } catch (e) {
      return `condition '${c.name}' parameter '${name}': ${e instanceof Error ? e.message : String(e)}`;
    }
  }
  return null;
}

function freeIdentifiers(
  node: CelNode,
  bound: ReadonlySet<string> = new Set(),
  out = new Set<string>(),
): Set<string> {
  const walk = (n: CelNode, b: ReadonlySet<string>) => freeIdentifiers(n, b, out);
  switch (node.k) {
    case "ident":
      if (!bound.has(node.name)) out.add(node.name);
      break;
    case "select":
    case "has":
      walk(node.target, bound);
      break;
    case "index":
      walk(node.target, bound);
      walk(node.index, bound);
      break;
    case "call":
      if (node.target) walk(node.target, bound);
      for (const a of node.args) walk(a, bound);
      break;
    case "unary":
      walk(node.arg, bound);
      break;
    case "binary":
    case "and":
    case "or":
      walk(node.left, bound);
      walk(node.right, bound);
      break;
    case "cond":
      walk(node.test, bound);
      walk(node.then, bound);
      walk(node.else, bound);
      break;
    case "list":
      for (const i of node.items) walk(i, bound);
      break;
    case "map":
      node.entries.forEach(([k, v]) => {
        walk(k, bound);
        walk(v, bound);
      });
      break;
    case "comprehension": {
      walk(node.target, bound);
      const inner = new Set(bound).add(node.variable);
      walk(node.body, inner);
      if (node.mapper) walk(node.mapper, inner);
      break;
    }
    case "lit":
      break;
  }
  return out;
}
