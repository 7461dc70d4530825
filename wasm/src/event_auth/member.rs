//! The `m.room.member` rule: 5 in v1-v5 and v12, 4 in v6-v11.
//! https://spec.matrix.org/v1.19/rooms/v1/#authorization-rules (join, invite, leave, ban),
//! /rooms/v7/ (knock), /rooms/v8/ (restricted, join_authorised_via_users_server),
//! /rooms/v10/ (knock_restricted), /rooms/v11/ (creator is the create sender).

use super::power_levels::{named_level, user_level};
use super::third_party_invite::check_third_party_invite_membership;
use super::{domain, reject, Context, Rejection};
use serde_json::Value;

pub fn check_member(context: &Context, signed_by: &dyn Fn(&str) -> bool) -> Result<(), Rejection> {
    let n = &context.n;
    let rule = n.member;
    let event = context.event;
    // x.1
    let (target, membership) = match (event.state_key.as_deref(), event.content.get("membership")) {
        (Some(target), Some(membership)) => (target, membership),
        _ => return reject(&[rule, 1], "a member event needs a state_key and content.membership"),
    };
    // x.2 (v8+): the authorising server signed the event.
    if context.rules.restricted_join_rule {
        match event.content.get("join_authorised_via_users_server") {
            None | Some(Value::Null) => {}
            Some(value) => {
                let server = value.as_str().and_then(domain);
                if !server.map_or(false, signed_by) {
                    return reject(
                        &[rule, 2, 1],
                        "the event is not signed by the server of join_authorised_via_users_server",
                    );
                }
            }
        }
    }
    match membership.as_str() {
        Some("join") => check_join(context, target),
        Some("invite") => check_invite(context, target),
        Some("leave") => check_leave(context, target),
        Some("ban") => check_ban(context, target),
        Some("knock") if n.member_knock.is_some() => check_knock(context, target),
        _ => reject(&[rule, n.member_unknown], "unknown membership"),
    }
}

fn check_join(context: &Context, target: &str) -> Result<(), Rejection> {
    let n = &context.n;
    let rule = [n.member, n.member_join];
    let event = context.event;
    // .1: the creator's own first join, right after the create event.
    if event.prev_events.len() == 1
        && event.prev_events[0] == context.create.event_id
        && context.creator() == Some(target)
    {
        return Ok(());
    }
    // .2
    if event.sender != target {
        return reject(&[rule[0], rule[1], 2], "a user can only join themselves");
    }
    // .3
    let membership = context.membership(target);
    if membership == Some("ban") {
        return reject(&[rule[0], rule[1], 3], "the sender is banned");
    }
    let invited_or_joined = matches!(membership, Some("invite") | Some("join"));
    let join_rule = context.join_rule();
    // .4
    if join_rule == "invite" || (context.rules.knocking && join_rule == "knock") {
        if invited_or_joined {
            return Ok(());
        }
        let reason = format!("the join rule is {join_rule} and the sender is neither invited nor joined");
        return reject(&[rule[0], rule[1], n.join_otherwise], reason);
    }
    // .5 (v8+)
    if let Some(restricted) = n.join_restricted {
        if join_rule == "restricted" || (context.rules.knock_restricted_join_rule && join_rule == "knock_restricted") {
            if invited_or_joined {
                return Ok(());
            }
            let authoriser = event.content.get("join_authorised_via_users_server").and_then(Value::as_str);
            let allowed = authoriser.map_or(false, |authoriser| {
                context.membership(authoriser) == Some("join")
                    && user_level(context, authoriser) >= named_level(context, "invite")
            });
            if !allowed {
                return reject(
                    &[rule[0], rule[1], restricted, 2],
                    "join_authorised_via_users_server is not a joined user able to invite",
                );
            }
            return Ok(());
        }
    }
    // .5 / .6
    if join_rule == "public" {
        return Ok(());
    }
    reject(&[rule[0], rule[1], n.join_otherwise], format!("the join rule {join_rule} does not allow this join"))
}

fn check_invite(context: &Context, target: &str) -> Result<(), Rejection> {
    let n = &context.n;
    let rule = [n.member, n.member_invite];
    let event = context.event;
    // .1
    match event.content.get("third_party_invite") {
        None | Some(Value::Null) => {}
        Some(invite) => return check_third_party_invite_membership(context, target, invite),
    }
    // .2
    if context.membership(&event.sender) != Some("join") {
        return reject(&[rule[0], rule[1], 2], "the sender is not joined to the room");
    }
    // .3
    if matches!(context.membership(target), Some("join") | Some("ban")) {
        return reject(&[rule[0], rule[1], 3], "the invited user is joined or banned");
    }
    // .4, .5
    if user_level(context, &event.sender) >= named_level(context, "invite") {
        return Ok(());
    }
    reject(&[rule[0], rule[1], 5], "the sender's power level is below the invite level")
}

fn check_leave(context: &Context, target: &str) -> Result<(), Rejection> {
    let n = &context.n;
    let rule = [n.member, n.member_leave];
    let sender = context.event.sender.as_str();
    // .1
    if sender == target {
        let membership = context.membership(target);
        let may_leave = matches!(membership, Some("invite") | Some("join"))
            || (context.rules.knocking && membership == Some("knock"));
        if may_leave {
            return Ok(());
        }
        return reject(&[rule[0], rule[1], 1], "the user is not invited, joined or knocking");
    }
    // .2
    if context.membership(sender) != Some("join") {
        return reject(&[rule[0], rule[1], 2], "the sender is not joined to the room");
    }
    let sender_level = user_level(context, sender);
    // .3
    if context.membership(target) == Some("ban") && sender_level < named_level(context, "ban") {
        return reject(&[rule[0], rule[1], 3], "the target is banned and the sender is below the ban level");
    }
    // .4, .5
    if sender_level >= named_level(context, "kick") && user_level(context, target) < sender_level {
        return Ok(());
    }
    reject(&[rule[0], rule[1], 5], "the sender is below the kick level or not above the target")
}

fn check_ban(context: &Context, target: &str) -> Result<(), Rejection> {
    let n = &context.n;
    let rule = [n.member, n.member_ban];
    let sender = context.event.sender.as_str();
    // .1
    if context.membership(sender) != Some("join") {
        return reject(&[rule[0], rule[1], 1], "the sender is not joined to the room");
    }
    // .2, .3
    let sender_level = user_level(context, sender);
    if sender_level >= named_level(context, "ban") && user_level(context, target) < sender_level {
        return Ok(());
    }
    reject(&[rule[0], rule[1], 3], "the sender is below the ban level or not above the target")
}

fn check_knock(context: &Context, target: &str) -> Result<(), Rejection> {
    let n = &context.n;
    let rule = [n.member, n.member_knock.unwrap_or(0)];
    let join_rule = context.join_rule();
    // .1
    let knockable =
        join_rule == "knock" || (context.rules.knock_restricted_join_rule && join_rule == "knock_restricted");
    if !knockable {
        return reject(&[rule[0], rule[1], 1], format!("the join rule {join_rule} does not allow knocking"));
    }
    // .2
    if context.event.sender != target {
        return reject(&[rule[0], rule[1], 2], "a user can only knock for themselves");
    }
    // .3, .4
    if matches!(context.membership(target), Some("ban") | Some("invite") | Some("join")) {
        return reject(&[rule[0], rule[1], 4], "the sender is banned, invited or joined");
    }
    Ok(())
}
