# bench/lib.sh: sourced by the benchmark scripts (run from the project root).

# install_s6box DIR BINARY APPLET...: copies BINARY (when empty: a fresh
# static musl release build) to DIR/s6box, links each APPLET to it, and
# sets `bin` to the binary measured.
# A copy, as an install makes: cp writes the file sequentially and the page
# cache then holds it in large folios, which exec maps far more cheaply
# than the small ones a linker's output sits in (measured: about 15 us per
# exec hop for the same bytes).
install_s6box() {
  local dir=$1 a
  bin=$2
  shift 2
  if [ -z "$bin" ]; then
    cargo build -q --release --target x86_64-unknown-linux-musl
    bin=target/x86_64-unknown-linux-musl/release/s6box
  fi
  mkdir -p "$dir"
  cp "$bin" "$dir/s6box"
  for a in "$@"; do ln -sf "$dir/s6box" "$dir/$a"; done
}
