//! s6-usertree-maker

use s6box::argv::Argv;

/// `main(argv)`: the applet.
pub fn main(_argv: Argv) -> i32 {
    100
}
