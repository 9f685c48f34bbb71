import { z } from 'zod';
import { errorSchema, type RouteDef } from './route.js';

/** The OpenAPI 3.1 document of the API, built from the route declarations (served at /api/v1/openapi.json). */

const jsonSchema = (schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> => {
  const s = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Record<string, unknown>;
  delete s.$schema;
  return s;
};

function parametersOf(def: RouteDef): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const [where, schema] of [['path', def.params], ['query', def.query]] as const) {
    if (!schema) continue;
    const js = jsonSchema(schema, 'input') as { properties?: Record<string, unknown>; required?: string[] };
    for (const [name, prop] of Object.entries(js.properties ?? {})) {
      out.push({ name, in: where, required: where === 'path' || (js.required ?? []).includes(name), schema: prop });
    }
  }
  return out;
}

const accessText = (def: RouteDef): string =>
  def.access === 'public' ? 'No authentication.' : def.access === 'session' ? 'Any session (anonymous included).' : def.access === 'signed-in' ? 'Signed-in user.' : `Signed-in user with permission \`${def.access}\`.`;

export function openApiDocument(routes: readonly RouteDef[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const def of routes) {
    const path = `/api/v1${def.url.replace(/:([A-Za-z]+)/gu, '{$1}')}`;
    const op: Record<string, unknown> = {
      summary: def.summary,
      description: accessText(def) + (['POST', 'PUT', 'DELETE'].includes(def.method) ? ' Requires the `X-CSRF-Token` header.' : ''),
      tags: def.tags,
      parameters: parametersOf(def),
      responses: {
        200: def.response
          ? { description: 'OK', content: { 'application/json': { schema: jsonSchema(def.response, 'output') } } }
          : { description: 'OK', content: { [def.produces ?? 'application/octet-stream']: {} } },
        default: { description: 'Error', content: { 'application/json': { schema: jsonSchema(errorSchema, 'output') } } },
      },
    };
    if (def.body) op.requestBody = { required: true, content: { [def.xmlBody ? 'application/xml' : 'application/json']: { schema: jsonSchema(def.body, 'input') } } };
    if (def.access !== 'public') op.security = [{ session: [] }];
    (paths[path] ??= {})[def.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    info: { title: 'WeKeep API', version, description: 'See docs/api.md for the session, CSRF and sign-in flows.' },
    components: { securitySchemes: { session: { type: 'apiKey', in: 'cookie', name: 'wekeep_session' } } },
    paths,
  };
}
