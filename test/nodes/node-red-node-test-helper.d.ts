// Types for node-red-node-test-helper (the package ships none): the calls these tests make.

declare module 'node-red-node-test-helper' {
  /** A node module's entry point: `module.exports = function (RED) { ... }`. */
  type NodeModule = (RED: any) => unknown;

  interface TestNode {
    readonly id: string;
    readonly type: string;
    on(event: 'input', listener: (msg: Record<string, any>) => void): void;
    on(event: string, listener: (...args: any[]) => void): void;
    receive(msg: Record<string, unknown>): void;
    [key: string]: any;
  }

  interface NodeTestHelper {
    init(runtimePath?: string, userSettings?: Record<string, unknown>): void;
    settings(userSettings: Record<string, unknown>): Record<string, unknown>;
    load(nodes: NodeModule | NodeModule[], flow: object[], credentials?: object): Promise<void>;
    unload(): Promise<void>;
    setFlows(flow: object[], type?: 'full' | 'flows' | 'nodes'): Promise<void>;
    getNode(id: string): TestNode;
    startServer(): Promise<void>;
    stopServer(): Promise<void>;
    url(): string;
  }

  const helper: NodeTestHelper;
  export = helper;
}
