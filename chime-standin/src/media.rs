//! The meetings' media legs: each subscribed attendee's leg on the media gateway, kept per
//! meeting so the SIP media application's runtime can dial from it (`LegCommand::Dial`) and
//! follow what happens on it.

use telephony::gateway::{CallLeg, LegCommander, LegEvent};
use tokio::sync::mpsc;

use crate::StandIn;

/// A leg as its signalling session holds it.
pub(crate) struct MeetingLeg {
    /// Tells this leg from a later one of the same meeting.
    pub id: u64,
    pub commander: LegCommander,
}

/// A leg as the meeting holds it.
pub(crate) struct AttachedLeg {
    pub id: u64,
    pub attendee_id: String,
    pub commander: LegCommander,
    /// Until someone takes them ([`StandIn::take_leg_events`]).
    pub events: Option<mpsc::UnboundedReceiver<LegEvent>>,
}

impl StandIn {
    /// The meeting's media leg (its latest subscribed attendee's), to command.
    pub fn meeting_leg(&self, meeting_id: &str) -> Option<LegCommander> {
        self.state()
            .legs
            .get(meeting_id)
            .map(|leg| leg.commander.clone())
    }

    /// The attendee whose leg the meeting holds.
    pub fn meeting_leg_attendee(&self, meeting_id: &str) -> Option<String> {
        self.state()
            .legs
            .get(meeting_id)
            .map(|leg| leg.attendee_id.clone())
    }

    /// The events of the meeting's media leg, once (whoever takes them follows the call).
    pub fn take_leg_events(&self, meeting_id: &str) -> Option<mpsc::UnboundedReceiver<LegEvent>> {
        self.state()
            .legs
            .get_mut(meeting_id)
            .and_then(|leg| leg.events.take())
    }

    pub(crate) fn attach_leg(
        &self,
        meeting_id: &str,
        attendee_id: &str,
        leg: CallLeg,
    ) -> MeetingLeg {
        let commander = leg.commander();
        let events = leg.events;
        let mut state = self.state();
        state.next_leg_id += 1;
        let id = state.next_leg_id;
        let attached = AttachedLeg {
            id,
            attendee_id: attendee_id.to_string(),
            commander: commander.clone(),
            events: Some(events),
        };
        if let Some(old) = state.legs.insert(meeting_id.to_string(), attached) {
            // Another session's leg (a reconnection): the new one carries the meeting now.
            old.commander.command(telephony::gateway::LegCommand::Close);
        }
        MeetingLeg { id, commander }
    }

    /// Hands a call in to the meeting: its browser's next subscription answers it. `Err` (the
    /// call back) when the meeting already has its leg: the stand-in cannot join a caller to
    /// media already flowing.
    pub(crate) fn answer_in_meeting(
        &self,
        meeting_id: &str,
        call: telephony::gateway::IncomingCall,
    ) -> Result<(), telephony::gateway::IncomingCall> {
        let mut state = self.state();
        if state.legs.contains_key(meeting_id) {
            return Err(call);
        }
        state.answering.insert(meeting_id.to_string(), call);
        Ok(())
    }

    /// The call in waiting for this meeting's subscription, once.
    pub(crate) fn take_answering(
        &self,
        meeting_id: &str,
    ) -> Option<telephony::gateway::IncomingCall> {
        self.state().answering.remove(meeting_id)
    }

    /// Forgets the meeting's leg if it is still this one.
    pub(crate) fn detach_leg(&self, meeting_id: &str, id: u64) {
        let mut state = self.state();
        if state.legs.get(meeting_id).is_some_and(|leg| leg.id == id) {
            state.legs.remove(meeting_id);
        }
    }
}
