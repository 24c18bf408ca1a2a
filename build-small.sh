#!/bin/sh
# build-small.sh: s6box's size profile, for initramfs and embedded images.
# Rust's standard library is rebuilt from source (nightly -Z build-std)
# with panics that abort at once (-Cpanic=immediate-abort): no panic
# message formatting, no unwinding or backtrace machinery in the binary.
# Static musl, with the flags of .cargo/config.toml for the target (the
# ones below are added to them). The default build stays on stable.
#
# Usage: ./build-small.sh [--target TRIPLE] [cargo build options...]
#   ./build-small.sh                                  all applets, x86_64
#   ./build-small.sh --target aarch64-unknown-linux-musl
#   ./build-small.sh --no-default-features --features s6-applyuidgid
# Needs: a nightly toolchain with rust-src
#   (rustup toolchain install nightly; rustup component add rust-src --toolchain nightly)
# Output: $S6BOX_SMALL_DIR/TRIPLE/release/s6box (default target/small),
# its path and size printed last.
set -eu
cd "$(dirname "$0")"
target=x86_64-unknown-linux-musl
case "${1:-}" in
  --target) target=$2; shift 2 ;;
  --target=*) target=${1#--target=}; shift ;;
esac
dir=${S6BOX_SMALL_DIR:-target/small}
flags='"-Zunstable-options", "-Cpanic=immediate-abort"'
# The C library's objects (crt1.o, libc.a) come with the target's rust-std.
# When nightly has none for this target (not every nightly ships every
# target), the default toolchain's are used: only they are needed, the
# standard library itself is built from source.
own="$(rustc +nightly --print sysroot)/lib/rustlib/$target/lib/self-contained"
if [ ! -d "$own" ]; then
  other="$(rustc --print sysroot)/lib/rustlib/$target/lib/self-contained"
  [ -d "$other" ] || { echo "build-small.sh: no C library objects for $target (rustup target add $target)" >&2; exit 1; }
  flags="$flags, \"-Lnative=$other\""
fi
# Arrays of the --config option are joined to the config file's: the
# target's static flags stay, these come last (and win over the release
# profile's panic = "abort").
cargo +nightly build --release --target "$target" --target-dir "$dir" \
  -Z build-std=std,panic_abort \
  --config "target.$target.rustflags = [$flags]" \
  "$@"
bin=$dir/$target/release/s6box
echo "$bin: $(stat -c %s "$bin") bytes"
