import { Directive, Field, ID, ObjectType } from "type-graphql";

/** A Tencent IM account; a federation entity other subgraphs reference by `id`. */
@Directive('@key(fields: "id")')
@ObjectType({ description: "A Tencent Cloud Chat account (its UserID).", simpleResolvers: true })
export class User {
  @Field(() => ID, { description: "The Tencent UserID." })
  id!: string;
}
