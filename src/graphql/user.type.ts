import { Directive, Field, ID, ObjectType } from "type-graphql";

/**
 * A Tencent IM account; a federation entity other subgraphs reference by `id`. Its cache hint is
 * its parent's (see schema.ts: how long a router or CDN may keep a profile read).
 */
@Directive('@key(fields: "id")')
@Directive("@cacheControl(inheritMaxAge: true)")
@ObjectType({ description: "A Tencent Cloud Chat account (its UserID).", simpleResolvers: true })
export class User {
  @Field(() => ID, { description: "The Tencent UserID." })
  id!: string;
}
