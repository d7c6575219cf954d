#!/usr/bin/env bash
# Keep the working tree that travels to the GPU machine under its 64 MiB limit (tools/gpu/README.md).
# Run HERE, from the repository root:
#
#   bash tools/gpu/tree.sh hide      # before the `run` call: take the shipped .tflite graphs and
#                                    # models/speech16k/keras out of the index (files stay on disk)
#                                    # and git-ignore them; the burst warm-starts from .gpu/init,
#                                    # keras/ at half the size (python tools/gpu/half_init.py)
#   bash tools/gpu/tree.sh restore   # right after the call: put exactly those index entries back
#   bash tools/gpu/tree.sh size [CARRY...]   # MiB that would travel (default carry: .gpu); exit 1 if > 64
#
# `hide` also makes sure .gpu/ is git-ignored (.git/info/exclude, a line that stays). The index
# entries are saved in .git/sscodec-gpu-hidden.txt and restored with `git update-index
# --index-info`, so nothing else staged in the index (models/speech16k included) is touched.
set -euo pipefail

HIDE=(models/speech16k/float32 models/speech16k/dynamic-int8 models/speech16k/int8 models/speech16k/keras)
BEGIN="# sscodec-gpu-burst: hidden graphs (tools/gpu/tree.sh restore removes this block)"
END="# sscodec-gpu-burst: end"
LIMIT=$((64 * 1024 * 1024))

die() { echo "tree.sh: error: $*" >&2; exit 2; }
[ -f tools/gpu/tree.sh ] && git rev-parse --git-dir >/dev/null 2>&1 || die "run me from the repository root"
GITDIR=$(git rev-parse --git-dir)
EXCLUDE=$GITDIR/info/exclude
SAVED=$GITDIR/sscodec-gpu-hidden.txt

drop_block() {  # remove our marker block from .git/info/exclude
  [ -f "$EXCLUDE" ] || return 0
  awk -v b="$BEGIN" -v e="$END" '$0==b{skip=1;next} $0==e{skip=0;next} !skip' "$EXCLUDE" >"$EXCLUDE.tmp"
  mv "$EXCLUDE.tmp" "$EXCLUDE"
}

size() {  # bytes of tracked + untracked-not-ignored files + shared/ + carried paths
  local carry=("$@") total
  [ ${#carry[@]} -gt 0 ] || carry=(.gpu)
  [ -d shared ] && carry+=(shared)
  total=$({ git ls-files -z -c -o --exclude-standard; for c in "${carry[@]}"; do
             if [ -e "$c" ]; then find "$c" \( -type f -o -type l \) -print0; fi; done; } \
          | sort -zu | { xargs -0 -r stat -c %s 2>/dev/null || true; } | awk '{s+=$1} END {printf "%d", s}')
  awk -v t="$total" -v c="${carry[*]}" 'BEGIN {printf "tree.sh: %.1f MiB would travel (limit 64 MiB; carry: %s)\n", t / 1048576, c}'
  if [ "$total" -gt "$LIMIT" ]; then
    echo "tree.sh: TOO LARGE: run 'bash tools/gpu/tree.sh hide' first, or build a smaller subset" >&2
    return 1
  fi
}

case ${1:-} in
  hide)
    [ ! -f "$SAVED" ] || die "already hidden ($SAVED exists): run 'bash tools/gpu/tree.sh restore' first"
    mkdir -p "$GITDIR/info"
    touch "$EXCLUDE"
    grep -qxF "/.gpu/" "$EXCLUDE" || echo "/.gpu/" >>"$EXCLUDE"
    TRACKED=()  # the HIDE folders that hold tracked files (git rm refuses a pathspec that matches none)
    for d in "${HIDE[@]}"; do [ -z "$(git ls-files -- "$d" | head -n 1)" ] || TRACKED+=("$d"); done
    [ ${#TRACKED[@]} -gt 0 ] || die "nothing tracked under ${HIDE[*]}"
    git ls-files -s -- "${TRACKED[@]}" >"$SAVED"
    if ! git rm -r --cached -q -- "${TRACKED[@]}"; then
      git update-index --index-info <"$SAVED"
      rm -f "$SAVED"
      die "git rm --cached refused (staged graphs that differ from both HEAD and the files?); index unchanged"
    fi
    { echo "$BEGIN"; for d in "${TRACKED[@]}"; do echo "/$d/"; done; echo "$END"; } >>"$EXCLUDE"
    echo "tree.sh: $(wc -l <"$SAVED") file(s) of ${TRACKED[*]} out of the index and ignored; restore right after the run call"
    case " ${TRACKED[*]} " in
      *" models/speech16k/keras "*) [ -f .gpu/init/config.json ] ||
        echo "tree.sh: models/speech16k/keras stays here: write its half-size copy for the burst with 'python tools/gpu/half_init.py' (-> .gpu/init)" >&2 ;;
    esac
    size
    ;;
  restore)
    if [ -f "$SAVED" ]; then
      git update-index --index-info <"$SAVED"
      rm -f "$SAVED"
    else
      echo "tree.sh: no saved entries; resetting ${HIDE[*]} to HEAD" >&2
      for d in "${HIDE[@]}"; do git cat-file -e "HEAD:$d" 2>/dev/null && git reset -q -- "$d"; done
    fi
    drop_block
    git update-index -q --refresh >/dev/null || true
    echo "tree.sh: index restored"
    git status --short -- "${HIDE[@]}"
    ;;
  size)
    shift
    size "$@"
    ;;
  *)
    die "usage: bash tools/gpu/tree.sh hide | restore | size [CARRY...]"
    ;;
esac
