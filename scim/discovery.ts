// The discovery documents (RFC 7644 §4) of one SCIM service: built from the process's declarations
// (scim/schemas.ts) as scimmy's own discovery resources build them, but with the meta.location of
// the app that answers. scimmy keeps one base path per process, and two apps of one process (tests,
// a server behind two names) are served at two.
import { ScimError } from './errors.js';
import { declareScim, SCIMMY } from './schemas.js';

interface Described {
  describe(): unknown;
}

export type Discovery = ReturnType<typeof discoveryAt>;

/** The documents of the SCIM service at `baseUrl` (the SCIM base, e.g. https://host/scim/v2). */
export function discoveryAt(baseUrl: string) {
  declareScim();
  const resourceTypes = `${baseUrl}/ResourceTypes`;
  const schemas = `${baseUrl}/Schemas`;
  const resourceType = (resource: Described) =>
    new SCIMMY.Schemas.ResourceType(resource.describe(), resourceTypes);
  return {
    serviceProviderConfig: () =>
      new SCIMMY.Schemas.ServiceProviderConfig(SCIMMY.Config.get(), `${baseUrl}/ServiceProviderConfig`),
    resourceTypes: () =>
      new SCIMMY.Messages.ListResponse(
        Object.values(SCIMMY.Resources.declared() as Record<string, Described>).map(resourceType),
      ),
    // Any failure to find and describe it is a 404, as in scimmy: an id such as "__proto__" finds
    // something that is not a resource.
    resourceType(id: string) {
      try {
        return resourceType(SCIMMY.Resources.declared(id));
      } catch {
        throw new ScimError(404, undefined, `ResourceType ${id} not found`);
      }
    },
    schemas: () =>
      new SCIMMY.Messages.ListResponse(SCIMMY.Schemas.declared().map((s) => s.describe(schemas))),
    schema(id: string) {
      try {
        return SCIMMY.Schemas.declared(id).describe(schemas);
      } catch {
        throw new ScimError(404, undefined, `Schema ${id} not found`);
      }
    },
  };
}
