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

# install_sides WORK BINARY REFDIR PROGRAM...: s6box installed in WORK/bin
# as an install does (a copy, its links made by symlinks.sh), and the
# reference's PROGRAMs copied from REFDIR to WORK/ref (those it has).
install_sides() {
  local work=$1 binary=$2 ref=$3 p
  shift 3
  install_s6box "$work/bin" "$binary"
  ./symlinks.sh "$work/bin" "$work/bin/s6box" >/dev/null
  mkdir -p "$work/ref"
  for p in "$@"; do
    if [ -x "$ref/$p" ]; then cp "$ref/$p" "$work/ref/"; fi
  done
}

# static_program DIR NAME C-SOURCE: DIR/NAME, a stripped static musl
# build of the C source, installed by a copy (see install_s6box).
static_program() {
  local dir=$1 name=$2
  printf '%s\n' "$3" > "$dir/$name.c"
  musl-gcc -static -O2 -o "$dir/$name.out" "$dir/$name.c"
  strip "$dir/$name.out"
  cp "$dir/$name.out" "$dir/$name"
}
