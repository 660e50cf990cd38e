//! `ccloud/*`: Confluent Cloud sign-in and sign-out, one method per file.

mod sign_in;
mod sign_out;
