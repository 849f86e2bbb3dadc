//! Staff reading a private chat: only staff, and never without a trace.

use super::*;

#[test]
fn staff_reading_a_chat_is_recorded_with_the_reason() {
    let reason = crate::reason::Reason::parse("report of harassment").unwrap();
    chat(&[])
        .given(opened())
        .when(ChatCommand::RecordStaffRead {
            by: crate::Actor::staff(CAL),
            reason: reason.clone(),
            report: None,
        })
        .then_expect_events(vec![ChatEvent::StaffRead {
            by: CAL,
            reason,
            report: None,
        }]);
}

#[test]
fn only_staff_may_read_someone_elses_chat() {
    chat(&[])
        .given(opened())
        .when(ChatCommand::RecordStaffRead {
            by: crate::Actor::member(CAL),
            reason: crate::reason::Reason::parse("curious").unwrap(),
            report: None,
        })
        .then_expect_error(ChatError::NotFound);
}
