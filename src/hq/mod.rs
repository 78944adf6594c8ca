//! CommCare HQ interop: app source exports to `apps/*.yaml`.

pub mod app;
pub mod users;
