//! Small building blocks shared by pages.

pub mod icons;
pub mod messages;
pub mod shell;
