//! Output for people: fix-list workbooks now; charts and reports read the warehouse
//! through SQL only.

pub mod fixlist;
pub mod xlsx;
