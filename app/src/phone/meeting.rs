//! Browser only: the call's audio on the Chime path. The microphone opened for the call is held
//! until its meeting is joined (the SDK then owns it and stops it when leaving); the meeting
//! session ([`ChimeSession`]) is the engine's until the audio is torn down, when it is left.
//! What to do when is decided in `core`; `engine` calls these.
//!
//! A session method is never called inside an engine borrow: the SDK may report an event at
//! once (mute), and the event goes through the engine.

use std::rc::Rc;

use leptos::prelude::{GetUntracked, Set};

use web_sys::MediaStream;

use super::chime::{ChimeInput, ChimeSession};
use super::core::Input;
use super::engine::{remote_audio, run, with};
use super::{media, MicProblem, Phone};

/// The microphone opened for `call_id`, until its meeting takes it.
pub(super) struct HeldMic {
    call_id: String,
    stream: MediaStream,
}

/// The meeting session of `call_id`. Shared only for the length of a call on it; the last
/// owner leaves (dropping it leaves quietly).
pub(super) struct Meeting {
    call_id: String,
    session: Rc<ChimeSession>,
    /// The held microphone's track, reported when lost as on the gateway path.
    _mic: Option<media::TrackWatch>,
}

/// Keeps the microphone opened for `call_id` for its meeting, unless the call's audio was torn
/// down meanwhile.
pub(super) fn hold_mic(call_id: String, stream: MediaStream) {
    if with(|e| e.core.audio_call() != Some(call_id.as_str())) {
        media::stop(&stream);
        return;
    }
    let previous = with(|e| e.held_mic.replace(HeldMic { call_id, stream }));
    if let Some(previous) = previous {
        media::stop(&previous.stream);
    }
}

/// Opens the microphone for a REST call this tab takes up, and reports it.
pub(super) fn open_mic(phone: Phone, call_id: String) {
    leptos::task::spawn_local(async move {
        media::play(&remote_audio());
        match media::open_mic(&phone.input.get_untracked()).await {
            Ok(stream) => {
                hold_mic(call_id.clone(), stream);
                run(phone, Input::MicOpened { call_id });
            }
            Err(problem) => {
                run(phone, Input::MicFailed { call_id, problem });
            }
        }
    });
}

/// Joins the call's meeting with the held microphone; the session's events go to the core.
pub(super) fn join(phone: Phone, call_id: &str, meeting: &str, attendee: &str) {
    let held = with(|e| e.held_mic.take());
    let mut mic = None;
    let input = match held {
        Some(held) if held.call_id == call_id => {
            media::start_meter(phone, &held.stream, None);
            mic = media::watch_mic(phone, &held.stream);
            ChimeInput::Stream(held.stream)
        }
        other => {
            // Not expected: the microphone is opened before the meeting is asked for.
            if let Some(other) = other {
                media::stop(&other.stream);
            }
            ChimeInput::Device(phone.input.get_untracked())
        }
    };
    let (call_id, meeting, attendee) = (
        call_id.to_string(),
        meeting.to_string(),
        attendee.to_string(),
    );
    let audio = remote_audio();
    leptos::task::spawn_local(async move {
        let id = call_id.clone();
        let on_event = move |event| {
            run(
                phone,
                Input::Meeting {
                    call_id: id.clone(),
                    event,
                },
            );
        };
        let session = match ChimeSession::join(meeting, attendee, audio, input, on_event).await {
            Ok(session) => session,
            Err(error) => {
                leptos::logging::warn!("joining the call's meeting failed: {error}");
                run(phone, Input::MeetingFailed { call_id, error });
                return;
            }
        };
        if with(|e| e.core.audio_call() != Some(call_id.as_str())) {
            // The call's audio was torn down while joining: dropping the session leaves.
            return;
        }
        // What the user chose while the meeting was being joined.
        if phone.muted.get_untracked() {
            session.mute(true);
        }
        let output = phone.output.get_untracked();
        if !output.is_empty() {
            let chosen = session.set_output(&output);
            leptos::task::spawn_local(async move {
                if let Err(e) = chosen.await {
                    leptos::logging::warn!("{e}");
                }
            });
        }
        let session = Rc::new(session);
        let previous = with(|e| {
            e.meeting.replace(Meeting {
                call_id,
                session,
                _mic: mic,
            })
        });
        drop(previous);
    });
}

fn session() -> Option<Rc<ChimeSession>> {
    with(|e| e.meeting.as_ref().map(|m| Rc::clone(&m.session)))
}

/// Opens the microphone again (after it was lost) and gives it to the meeting; `false` when
/// there is no meeting (the call's audio is the gateway's).
pub(super) fn retry_mic(phone: Phone) -> bool {
    let Some(session) = session() else {
        return false;
    };
    leptos::task::spawn_local(async move {
        let stream = match media::open_mic(&phone.input.get_untracked()).await {
            Ok(stream) => stream,
            Err(problem) => {
                phone.mic_problem.set(Some(problem));
                return;
            }
        };
        let watch = media::watch_mic(phone, &stream);
        // `Clone::clone`: the same stream (web-sys's `clone` makes a second one).
        if let Err(e) = session.set_input(Clone::clone(&stream)).await {
            leptos::logging::warn!("{e}");
            media::stop(&stream);
            phone.mic_problem.set(Some(MicProblem::Other(
                "the new microphone could not be used".into(),
            )));
            return;
        }
        let kept = with(|e| {
            e.meeting
                .as_mut()
                .filter(|m| Rc::ptr_eq(&m.session, &session))
                .map(|m| m._mic = watch)
                .is_some()
        });
        if !kept {
            // The call ended meanwhile (leaving stops the input's tracks).
            return;
        }
        media::start_meter(phone, &stream, None);
        phone.mic_problem.set(None);
    });
    true
}

/// Mutes or unmutes what the meeting hears, if there is one.
pub(super) fn mute(muted: bool) {
    if let Some(session) = session() {
        if !session.mute(muted) {
            leptos::logging::warn!("the meeting refused to unmute");
        }
    }
}

/// Plays the meeting on `device`; `false` when there is no meeting.
pub(super) fn set_output(device: &str) -> bool {
    let Some(session) = session() else {
        return false;
    };
    let chosen = session.set_output(device);
    leptos::task::spawn_local(async move {
        if let Err(e) = chosen.await {
            leptos::logging::warn!("{e}");
        }
    });
    true
}

/// Closes the Chime path's audio: the held microphone is stopped, the meeting left.
pub(super) fn close() {
    let (held, meeting) = with(|e| (e.held_mic.take(), e.meeting.take()));
    if let Some(held) = held {
        media::stop(&held.stream);
    }
    let Some(meeting) = meeting else {
        return;
    };
    leptos::task::spawn_local(async move {
        // Another owner is only ever momentary; if there is one, its drop leaves quietly.
        if let Ok(session) = Rc::try_unwrap(meeting.session) {
            if let Err(e) = session.leave().await {
                leptos::logging::warn!("call {}: {e}", meeting.call_id);
            }
        }
    });
}
