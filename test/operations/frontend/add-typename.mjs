// codegen.yml can name a document transform only by module path, so this file hands it the client
// preset's own `addTypenameSelectionDocumentTransform`. Apollo Client's and urql's caches add
// `__typename` to every selection before sending; a frontend's documents (and so the hashes in its
// trusted-documents manifest) must already carry it, or a request by hash runs a document without
// it and the cache cannot tell a User from a Profile.
import { addTypenameSelectionDocumentTransform } from "@graphql-codegen/client-preset";

export const transform = addTypenameSelectionDocumentTransform.transform;
