//! s6-notify-fd-from-socket

use s6box::argv::Argv;

/// `main(argv)`: the applet.
pub fn main(_argv: Argv) -> i32 {
    100
}
