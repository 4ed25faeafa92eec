//! The Backend API's vocabulary that several commands speak: the users page, any list
//! endpoint walked and verified, one user, ids.

pub mod filters;
pub mod list;
pub mod page;
pub mod user;

pub use filters::{check_filter, check_repeats};
pub use page::{PageUser, lines_in_place, parse_count, parse_page, parse_users};
pub use user::{check_id, single_user, updated_at};
