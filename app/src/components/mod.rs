//! Small building blocks shared by pages.

pub mod call_panel;
pub mod call_quality;
pub mod call_time;
pub mod confirm_call;
pub mod forms;
pub mod icons;
pub mod incoming_call;
pub mod lists;
pub mod messages;
mod output_choice;
pub mod pickers;
mod recording_controls;
pub mod recording_player;
pub mod shell;
mod transfer;
