//! Each screen's state and what its keys do to it. Drawing is in `ui/`;
//! nothing here draws or imports the drawing.

pub mod explorer;
pub mod lab;
pub mod lesson;
pub mod lessons;
pub mod quiz;
