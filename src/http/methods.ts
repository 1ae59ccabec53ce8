import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { locals } from './context';
import { ProblemError } from './problems';

/** What the router keeps per layer (express 5 / router 2), read to derive the routes. */
interface RouterLayer {
  readonly rawPath?: unknown;
  readonly route?: { readonly path: unknown; _methods(): string[]; readonly methods: object };
  readonly handle?: { readonly stack?: readonly RouterLayer[] };
  match(path: string): boolean;
}

interface RouteMethods {
  readonly template: string;
  readonly layer: RouterLayer;
  readonly allow: readonly string[];
}

/** Every route registered on `stack` (and on routers mounted at the root), with its methods. */
function collectRoutes(stack: readonly RouterLayer[], into: Map<string, RouteMethods>): void {
  for (const layer of stack) {
    if (layer.route !== undefined && typeof layer.route.path === 'string') {
      const methods = layer.route._methods().filter((m) => m !== '*');
      if (methods.length === 0) continue;
      const known = into.get(layer.route.path);
      const allow = [...new Set([...(known?.allow ?? []), ...methods])].sort();
      into.set(layer.route.path, {
        template: layer.route.path,
        layer: known?.layer ?? layer,
        allow,
      });
    } else if (layer.handle?.stack !== undefined && layer.rawPath === '/') {
      collectRoutes(layer.handle.stack, into);
    }
  }
}

/** The path templates of every route registered on `stack` (e.g. `/v1/rules/:id`). */
export function routeTemplates(stack: readonly RouterLayer[]): string[] {
  const found = new Map<string, RouteMethods>();
  collectRoutes(stack, found);
  return [...found.keys()];
}

/**
 * 405 for a known path asked with a method none of its routes answers, with the `Allow` header
 * RFC 9110 requires. The allowed methods are read from the app's own routes (the first time a
 * request gets here, when every route is registered), so a new route needs no list kept by hand.
 * Mount after every route and before the 404.
 */
export function methodNotAllowed(routerStack: () => readonly RouterLayer[]): RequestHandler {
  let routes: readonly RouteMethods[] | undefined;
  return (req: Request, res: Response, next: NextFunction): void => {
    if (routes === undefined) {
      const found = new Map<string, RouteMethods>();
      collectRoutes(routerStack(), found);
      routes = [...found.values()];
    }
    const route = routes.find((r) => r.layer.match(req.path));
    if (route === undefined) {
      next();
      return;
    }
    locals(res).route = route.template;
    res.setHeader('Allow', route.allow.join(', '));
    next(
      new ProblemError(
        'METHOD-NOT-ALLOWED',
        `${route.template} answers ${route.allow.join(', ')}.`,
      ),
    );
  };
}

export type { RouterLayer };
