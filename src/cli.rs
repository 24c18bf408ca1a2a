//! s6-style command lines on lexopt: bundled short options, attached or
//! separate values taken literally (`-a=` gives `=`), `--`, long options
//! where a page names them, and the first non-option ends the options:
//! the rest is handed over verbatim, as the original `argv` tail.

use crate::argv::Argv;
use crate::msg;
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;

/// One option found on the command line.
#[derive(Debug, PartialEq, Eq)]
pub enum Opt {
    /// `-c`, alone or bundled.
    Short(char),
    /// `--name` or `--name=value`.
    Long(String),
}

/// The parser of one applet's command line.
pub struct Cli {
    parser: lexopt::Parser,
    argv: Argv,
    usage: &'static str,
    rest: Option<usize>,
}

impl Cli {
    /// `new(argv, usage)`: a parser for `argv` (whose `argv[0]` is the
    /// applet); `--help` as the first argument prints `usage` and exits 0.
    pub fn new(argv: Argv, usage: &'static str) -> Cli {
        if argv.len() > 1 && argv.get(1).to_bytes() == b"--help" {
            msg::print_usage(usage);
            msg::exit(0);
        }
        let mut parser = lexopt::Parser::from_args(argv.skip(1).iter().map(OsString::from));
        parser.set_short_equals(false);
        Cli { parser, argv, usage, rest: None }
    }

    /// `opt()`: the next option, or `None` at the first operand, after
    /// `--`, or at the end. A malformed option dies with the usage line.
    pub fn opt(&mut self) -> Option<Opt> {
        if self.rest.is_some() {
            return None;
        }
        match self.parser.next() {
            Ok(Some(lexopt::Arg::Short(c))) => Some(Opt::Short(c)),
            Ok(Some(lexopt::Arg::Long(name))) => Some(Opt::Long(name.to_owned())),
            Ok(Some(lexopt::Arg::Value(_))) => {
                // The operand just taken plus everything lexopt has not read.
                let left = self.parser.raw_args().map(|r| r.as_slice().len()).unwrap_or(0);
                self.rest = Some(self.argv.len() - left - 1);
                None
            }
            Ok(None) => {
                self.rest = Some(self.argv.len());
                None
            }
            Err(_) => self.usage(),
        }
    }

    /// `value()`: the value of the option just returned, taken literally.
    pub fn value(&mut self) -> OsString {
        match self.parser.value() {
            Ok(v) => v,
            Err(_) => self.usage(),
        }
    }

    /// `number<T>()`: the option's value as a decimal number, or usage death.
    pub fn number<T: std::str::FromStr>(&mut self) -> T {
        let v = self.value();
        parse_decimal(&v).unwrap_or_else(|| self.usage())
    }

    /// `rest()`: the operands (`argv` tail) after the options; call after
    /// `opt()` returned `None`.
    pub fn rest(&mut self) -> Argv {
        while self.rest.is_none() {
            if self.opt().is_some() {
                self.usage();
            }
        }
        self.argv.skip(self.rest.unwrap_or(self.argv.len()))
    }

    /// `unsigned(what)`: the option's value through `unsigned_of`.
    pub fn unsigned<T: std::str::FromStr>(&mut self, what: &str) -> T {
        let v = self.value();
        unsigned_of(&v, what)
    }

    /// `operand()`: the first operand (the service directory of most
    /// clients); usage death if there is none.
    pub fn operand(&mut self) -> &'static std::ffi::OsStr {
        let rest = self.rest();
        if rest.is_empty() {
            self.usage();
        }
        rest.os(0)
    }

    /// `operands(min)`: for an applet without options: the operands, at
    /// least `min` of them, or usage death (an option is bad usage too).
    pub fn operands(&mut self, min: usize) -> Argv {
        if self.opt().is_some() {
            self.usage();
        }
        let rest = self.rest();
        if rest.len() < min {
            self.usage();
        }
        rest
    }

    /// `usage()`: dies with this applet's usage line, exit 100.
    pub fn usage(&self) -> ! {
        msg::usage(self.usage)
    }

    /// `unrecognized(c)`: dies as 2.15's newer parsers do on an unknown
    /// option: `PROG: fatal: unrecognized short option: C`, exit 100.
    pub fn unrecognized(&self, c: char) -> ! {
        let mut b = [0u8; 4];
        msg::fatal(
            crate::exitcode::USAGE,
            &[b"unrecognized short option: ", c.encode_utf8(&mut b).as_bytes()],
        )
    }
}

/// `unsigned_of(v, what)`: `v` as a decimal number, or death as 2.15
/// words it: `WHAT must be an unsigned integer` (100).
pub fn unsigned_of<T: std::str::FromStr>(v: &OsStr, what: &str) -> T {
    parse_decimal(v).unwrap_or_else(|| {
        msg::fatal(crate::exitcode::USAGE, &[what.as_bytes(), b" must be an unsigned integer"])
    })
}

/// `parse_decimal(s)`: `s` as a plain decimal number (digits only, no sign,
/// no blanks), or `None`.
pub fn parse_decimal<T: std::str::FromStr>(s: &OsStr) -> Option<T> {
    let b = s.as_bytes();
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(b).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::argv::OwnedArgv;

    fn parse(args: &[&str], with_value: &[char]) -> (Vec<String>, Vec<String>) {
        let owned = OwnedArgv::new(args);
        let mut cli = Cli::new(owned.argv(), "t");
        let mut seen = Vec::new();
        while let Some(o) = cli.opt() {
            match o {
                Opt::Short(c) if with_value.contains(&c) => {
                    seen.push(format!("{c}={}", cli.value().to_string_lossy()))
                }
                Opt::Short(c) => seen.push(c.to_string()),
                Opt::Long(l) => seen.push(format!("--{l}")),
            }
        }
        let rest = cli.rest().iter().map(|s| s.to_string_lossy().into_owned()).collect();
        (seen, rest)
    }

    #[test]
    fn bundling_and_values() {
        let (o, r) = parse(&["x", "-zu5", "-g", "7", "prog", "-a"], &['u', 'g']);
        assert_eq!(o, ["z", "u=5", "g=7"]);
        assert_eq!(r, ["prog", "-a"]);
    }

    #[test]
    fn equals_is_literal() {
        let (o, _) = parse(&["x", "-a=", "-a", "=", "p"], &['a']);
        assert_eq!(o, ["a==", "a=="]);
    }

    #[test]
    fn double_dash_ends_options() {
        let (o, r) = parse(&["x", "-z", "--", "-u", "p"], &['u']);
        assert_eq!(o, ["z"]);
        assert_eq!(r, ["-u", "p"]);
    }

    #[test]
    fn first_operand_ends_options() {
        let (o, r) = parse(&["x", "prog", "-z", "--", "x"], &[]);
        assert!(o.is_empty());
        assert_eq!(r, ["prog", "-z", "--", "x"]);
    }

    #[test]
    fn value_may_look_like_an_option() {
        let (o, r) = parse(&["x", "-u", "-z", "p"], &['u']);
        assert_eq!(o, ["u=-z"]);
        assert_eq!(r, ["p"]);
    }

    #[test]
    fn lone_dash_is_an_operand() {
        let (_, r) = parse(&["x", "-", "y"], &[]);
        assert_eq!(r, ["-", "y"]);
    }

    #[test]
    fn no_operand() {
        let (o, r) = parse(&["x", "-z"], &[]);
        assert_eq!(o, ["z"]);
        assert!(r.is_empty());
    }

    #[test]
    fn decimal() {
        assert_eq!(parse_decimal::<u32>(OsStr::new("42")), Some(42));
        for bad in ["", "-1", "+1", " 1", "1x", "99999999999"] {
            assert_eq!(parse_decimal::<u32>(OsStr::new(bad)), None, "{bad:?}");
        }
    }
}
