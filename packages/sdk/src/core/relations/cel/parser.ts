import type { CelNode } from "./ast";
import { CelSyntaxError, type Token, tokenize } from "./lexer";
import { CelUint } from "./values";

const RELATIONS = new Set(["==", "!=", "<", "<=", ">", ">="]);
const MACROS = new Set(["all", "exists", "exists_one", "map", "filter"]);

/** Parses a CEL expression into a tree; throws CelSyntaxError with the position of the problem. */
export function parseCel(src: string): CelNode {
  const p = new Parser(tokenize(src));
  const node = p.expr();
  p.expectEnd();
  return node;
}

class Parser {
  private i = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(): Token {
    return this.tokens[this.i]!;
  }

  private isOp(value: string): boolean {
    const t = this.peek();
    return t.kind === "op" && t.value === value;
  }

  private eat(value: string): boolean {
    if (this.isOp(value)) {
      this.i++;
      return true;
    }
    return false;
  }

  private expect(value: string): void {
    if (!this.eat(value)) throw new CelSyntaxError(`expected '${value}' at ${this.peek().pos}`);
  }

  expectEnd(): void {
    if (this.peek().kind !== "eof")
      throw new CelSyntaxError(`unexpected '${this.peek().value}' at ${this.peek().pos}`);
  }

  expr(): CelNode {
    const test = this.or();
    if (!this.eat("?")) return test;
    const then = this.or();
    this.expect(":");
    return { k: "cond", test, then, else: this.expr() };
  }

  private or(): CelNode {
    let left = this.and();
    while (this.eat("||")) left = { k: "or", left, right: this.and() };
    return left;
  }

  private and(): CelNode {
    let left = this.relation();
    while (this.eat("&&")) left = { k: "and", left, right: this.relation() };
    return left;
  }

  private relation(): CelNode {
    let left = this.addition();
    for (;;) {
      const t = this.peek();
      if (t.kind === "op" && RELATIONS.has(t.value)) {
        this.i++;
        left = { k: "binary", op: t.value, left, right: this.addition() };
      } else if (t.kind === "ident" && t.value === "in") {
        this.i++;
        left = { k: "binary", op: "in", left, right: this.addition() };
      } else {
        return left;
      }
    }
  }

  private addition(): CelNode {
    let left = this.multiplication();
    for (;;) {
      if (this.eat("+")) left = { k: "binary", op: "+", left, right: this.multiplication() };
      else if (this.eat("-")) left = { k: "binary", op: "-", left, right: this.multiplication() };
      else return left;
    }
  }

  private multiplication(): CelNode {
    let left = this.unary();
    for (;;) {
      const t = this.peek();
      if (t.kind === "op" && (t.value === "*" || t.value === "/" || t.value === "%")) {
        this.i++;
        left = { k: "binary", op: t.value, left, right: this.unary() };
      } else {
        return left;
      }
    }
  }

  private unary(): CelNode {
    if (this.eat("!")) return { k: "unary", op: "!", arg: this.unary() };
    if (this.eat("-")) {
      const t = this.peek();
      // Fold negative literals so that -9223372036854775808 stays in range.
      if (t.kind === "int") {
        this.i++;
        return this.member({ k: "lit", value: -t.value });
      }
      if (t.kind === "double") {
        this.i++;
        return this.member({ k: "lit", value: -t.value });
      }
      return { k: "unary", op: "-", arg: this.unary() };
    }
    return this.member(this.primary());
  }

  private member(node: CelNode): CelNode {
    for (;;) {
      if (this.eat(".")) {
        const name = this.ident();
        if (this.eat("(")) {
          if (MACROS.has(name) && this.peek().kind === "ident" && this.tokens[this.i + 1]?.value === ",") {
            const variable = this.ident();
            this.expect(",");
            const body = this.expr();
            let mapper: CelNode | null = null;
            if (name === "map" && this.eat(",")) mapper = this.expr();
            this.expect(")");
            node = mapper
              ? { k: "comprehension", macro: "map_filter", target: node, variable, body, mapper }
              : { k: "comprehension", macro: name, target: node, variable, body, mapper: null };
          } else {
            node = { k: "call", fn: name, target: node, args: this.args(")") };
          }
        } else {
          node = { k: "select", target: node, field: name };
        }
      } else if (this.eat("[")) {
        const index = this.expr();
        this.expect("]");
        node = { k: "index", target: node, index };
      } else {
        return node;
      }
    }
  }

  private ident(): string {
    const t = this.peek();
    if (t.kind !== "ident") throw new CelSyntaxError(`expected a name at ${t.pos}`);
    this.i++;
    return t.value;
  }

  private args(close: string): CelNode[] {
    const out: CelNode[] = [];
    if (this.eat(close)) return out;
    do {
      if (this.isOp(close)) break;
      out.push(this.expr());
    } while (this.eat(","));
    this.expect(close);
    return out;
  }

  private primary(): CelNode {
    const t = this.peek();
    this.i++;
    switch (t.kind) {
      case "int":
        return { k: "lit", value: t.value };
      case "uint":
        return { k: "lit", value: new CelUint(t.value) };
      case "double":
      case "string":
      case "bytes":
        return { k: "lit", value: t.value };
      case "ident": {
        if (t.value === "true") return { k: "lit", value: true };
        if (t.value === "false") return { k: "lit", value: false };
        if (t.value === "null") return { k: "lit", value: null };
        if (this.eat("(")) {
          if (t.value === "has") {
            const arg = this.expr();
            this.expect(")");
            if (arg.k !== "select") throw new CelSyntaxError(`has() needs a field selection at ${t.pos}`);
            return { k: "has", target: arg.target, field: arg.field };
          }
          return { k: "call", fn: t.value, target: null, args: this.args(")") };
        }
        return { k: "ident", name: t.value };
      }
      case "op": {
        if (t.value === "(") {
          const e = this.expr();
          this.expect(")");
          return e;
        }
        if (t.value === "[") return { k: "list", items: this.args("]") };
        if (t.value === "{") return this.mapLiteral();
        if (t.value === ".") return { k: "ident", name: this.ident() };
        throw new CelSyntaxError(`unexpected '${t.value}' at ${t.pos}`);
      }
      default:
        throw new CelSyntaxError(`unexpected end of expression at ${t.pos}`);
    }
  }

  private mapLiteral(): CelNode {
    const entries: [CelNode, CelNode][] = [];
    if (this.eat("}")) return { k: "map", entries };
    do {
      if (this.isOp("}")) break;
      const key = this.expr();
      this.expect(":");
      entries.push([key, this.expr()]);
    } while (this.eat(","));
    this.expect("}");
    return { k: "map", entries };
  }
}
