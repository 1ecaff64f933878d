import { Field, Float, ObjectType, registerEnumType } from "type-graphql";
import type { ProfileData } from "../profile/codec.js";
import { Profile } from "./profile.type.js";
import { User } from "./user.type.js";

export enum ChangeSource {
  CALLBACK = "callback",
  SET_PROFILE = "setProfile",
}

registerEnumType(ChangeSource, {
  name: "ChangeSource",
  description: "Where the service learnt of a change.",
  valuesConfig: {
    CALLBACK: {
      description:
        "Tencent's profile-change callback: any writer (a client SDK, the console, another back end, this service).",
    },
    SET_PROFILE: { description: "This service's own setProfile, as soon as Tencent accepted it." },
  },
});

/** One change of one account's profile, as `profileChanged` delivers it. */
@ObjectType({ description: "A change of one account's profile.", simpleResolvers: true })
export class ProfileChange {
  @Field(() => String, {
    description: "Where this change sits in the stream: pass it as `after` to resume from here after a reconnect.",
  })
  cursor!: string;

  @Field(() => User, {
    description: "The account. Its `profile` is read at delivery (through the cache): the whole current profile.",
  })
  user!: User;

  @Field(() => [String], {
    description:
      'The fields this change set: standard field names (e.g. "nick") and custom keys as "custom.<key>". Fields the caller may not read are left out.',
  })
  changedFields!: string[];

  @Field(() => Profile, {
    description: "The new values of the changed fields (the other fields are null here; see `user.profile`).",
  })
  changes!: ProfileData;

  @Field(() => ChangeSource)
  source!: ChangeSource;

  @Field(() => String, {
    nullable: true,
    description:
      "The writer's platform as Tencent reports it: RESTAPI, Web, Android, iOS, Windows, Mac, iPad, Unknown.",
  })
  platform?: string | undefined;

  @Field(() => Float, {
    description: "When the change happened, in ms since the epoch (Tencent's clock for callbacks).",
  })
  eventTime!: number;
}
