export type CelNode =
  | { k: "lit"; value: unknown }
  | { k: "ident"; name: string }
  | { k: "select"; target: CelNode; field: string }
  | { k: "index"; target: CelNode; index: CelNode }
  | { k: "call"; fn: string; target: CelNode | null; args: CelNode[] }
  | { k: "unary"; op: "!" | "-"; arg: CelNode }
  | { k: "binary"; op: string; left: CelNode; right: CelNode }
  | { k: "and"; left: CelNode; right: CelNode }
  | { k: "or"; left: CelNode; right: CelNode }
  | { k: "cond"; test: CelNode; then: CelNode; else: CelNode }
  | { k: "list"; items: CelNode[] }
  | { k: "map"; entries: [CelNode, CelNode][] }
  | { k: "has"; target: CelNode; field: string }
  | {
      k: "comprehension";
      macro: string;
      target: CelNode;
      variable: string;
      body: CelNode;
      mapper: CelNode | null;
    };
