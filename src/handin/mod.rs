//! The hand-in: grading the homework on this machine (`check`) and the
//! report a teacher can verify.

pub mod block;
pub mod grader;
pub mod report;
pub mod verify;
