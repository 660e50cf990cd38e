//! `ccloud/*`: Confluent Cloud sign-in, sign-out and resources, one method per file.

mod resources;
mod sign_in;
mod sign_out;
