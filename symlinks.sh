#!/bin/sh
# symlinks.sh [ -f ] DIR [ BINARY ]
# Creates in DIR one symbolic link per applet, named after it, pointing at
# BINARY (default: the installed s6box found in PATH; never a build tree's
# binary, which the next `cargo build` or `cargo clean` would replace). The list comes from `BINARY --list`. Idempotent: existing links
# are replaced; a file that is not a link is left alone (and reported, exit 1)
# unless -f is given.
set -eu

force=0
if [ "${1:-}" = "-f" ]; then force=1; shift; fi
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: symlinks.sh [ -f ] DIR [ BINARY ]" >&2
  exit 100
fi
dir=$1
bin=${2:-}
if [ -z "$bin" ]; then
  bin=$(command -v s6box 2>/dev/null) || {
    echo "symlinks.sh: fatal: no s6box in PATH: give the installed binary's path" >&2
    exit 111
  }
fi
case $bin in /*) ;; *) bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin") ;; esac
[ -x "$bin" ] || { echo "symlinks.sh: fatal: $bin is not executable" >&2; exit 111; }
mkdir -p "$dir"

list=$("$bin" --list)
status=0
for name in $list; do
  target=$dir/$name
  if [ -d "$target" ] && [ ! -L "$target" ]; then
    echo "symlinks.sh: warning: $target is a directory: left alone" >&2
    status=1
    continue
  fi
  if [ -e "$target" ] && [ ! -L "$target" ] && [ "$force" -eq 0 ]; then
    echo "symlinks.sh: warning: $target exists and is not a link: left alone (use -f)" >&2
    status=1
    continue
  fi
  ln -sfn "$bin" "$target"
done
exit $status
