// The project has no @types/react (and adds no dependency for it): these are the only two React
// calls the browser entry makes, typed just enough for tsc to check that file.
declare module "react" {
  export function createElement(type: unknown, props?: Record<string, unknown> | null, ...children: unknown[]): unknown;
}

declare module "react-dom/client" {
  export function createRoot(container: object): { render(element: unknown): void; unmount(): void };
}
