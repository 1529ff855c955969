import { ANY_METHOD, HTTP_METHODS, ROUTE_KINDS, SPECS_GROUP, SPLIT_MATCH_KINDS } from '../smi/vocabulary.js';
import { MAX_INT32 } from '../validation/numbers.js';
import { MAX_PATTERN_LENGTH } from '../validation/re2-pattern.js';
import {
  anyShape,
  integer,
  type JsonSchema,
  list,
  nullable,
  object,
  oneOfStrings,
  resource,
  string,
} from './schema-builders.js';

/*
 * The openAPIV3Schema of every served version. They are deliberately a little looser than the validators
 * (names are not checked against DNS rules, uniqueness is not checked, regexes are not compiled): the API
 * server stores what they accept, the validators decide what the mesh uses. They are never stricter: a test
 * proves every object a validator accepts passes its schema.
 */

const port = integer(1, 65535);

function subject(withPort: boolean): JsonSchema {
  return object(
    {
      kind: oneOfStrings(['ServiceAccount']),
      name: string(),
      namespace: string(),
      ...(withPort ? { port } : {}),
    },
    ['kind', 'name'],
  );
}

const trafficTarget = resource(
  object(
    {
      destination: subject(true),
      sources: nullable(list(subject(false))),
      rules: nullable(
        list(
          object({ kind: oneOfStrings(ROUTE_KINDS), name: string(), matches: nullable(list(string())) }, [
            'kind',
            'name',
          ]),
        ),
      ),
    },
    ['destination'],
  ),
  true,
);

const httpRouteGroup = resource(
  object(
    {
      matches: list(
        object(
          {
            name: string(),
            pathRegex: string({ maxLength: MAX_PATTERN_LENGTH }),
            methods: nullable(list(oneOfStrings([...HTTP_METHODS, ANY_METHOD]))),
            headers: anyShape(
              'Header name to regular expression: a map, or a list of single-entry maps as older CRDs had it.',
            ),
          },
          ['name'],
        ),
      ),
    },
    ['matches'],
  ),
  true,
);

const tcpRouteV1alpha3 = resource(nullable({ type: 'object' }), false);

const portRoute = resource(
  nullable(object({ matches: nullable(object({ name: string(), ports: nullable(list(port)) })) })),
  false,
);

function trafficSplit(withMatches: boolean): JsonSchema {
  return resource(
    object(
      {
        service: string(),
        backends: list(object({ service: string(), weight: integer(0, MAX_INT32) }, ['service', 'weight']), {
          minItems: 1,
        }),
        ...(withMatches
          ? {
              matches: nullable(
                list(
                  object(
                    {
                      kind: oneOfStrings(SPLIT_MATCH_KINDS),
                      name: string(),
                      apiGroup: oneOfStrings([SPECS_GROUP]),
                    },
                    ['kind', 'name'],
                  ),
                ),
              ),
            }
          : {}),
      },
      ['service', 'backends'],
    ),
    true,
  );
}

/** The openAPIV3Schema of a served `apiVersion` and `kind`. */
export const SMI_SCHEMAS: Readonly<Record<string, JsonSchema>> = {
  'access.smi-spec.io/v1alpha2 TrafficTarget': trafficTarget,
  'access.smi-spec.io/v1alpha3 TrafficTarget': trafficTarget,
  'specs.smi-spec.io/v1alpha3 HTTPRouteGroup': httpRouteGroup,
  'specs.smi-spec.io/v1alpha4 HTTPRouteGroup': httpRouteGroup,
  'specs.smi-spec.io/v1alpha3 TCPRoute': tcpRouteV1alpha3,
  'specs.smi-spec.io/v1alpha4 TCPRoute': portRoute,
  'specs.smi-spec.io/v1alpha4 UDPRoute': portRoute,
  'split.smi-spec.io/v1alpha2 TrafficSplit': trafficSplit(false),
  'split.smi-spec.io/v1alpha3 TrafficSplit': trafficSplit(true),
  'split.smi-spec.io/v1alpha4 TrafficSplit': trafficSplit(true),
};
